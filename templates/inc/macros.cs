<?cs # Shared macros: a field's error message, looked up by key in Lang.err. ?>
<?cs def:field_error(err) ?><?cs if:err ?><span class="field-error" role="alert"><?cs var:Lang.err[err] ?></span><?cs /if ?><?cs /def ?>
