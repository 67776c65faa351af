<?cs # Shared macros: a field's error message, looked up by key in Lang.err; a rule's message, looked up first by field and key in the page's own messages; a calling class's words. ?>
<?cs def:field_error(err) ?><?cs if:err ?><span class="field-error" role="alert"><?cs var:Lang.err[err] ?></span><?cs /if ?><?cs /def ?>
<?cs def:rule_error(msgs, field, err) ?><?cs if:err ?><span class="field-error" role="alert"><?cs if:msgs[field + "_" + err] ?><?cs var:msgs[field + "_" + err] ?><?cs elif:msgs[err] ?><?cs var:msgs[err] ?><?cs elif:Lang.err[err] ?><?cs var:Lang.err[err] ?><?cs else ?><?cs var:err ?><?cs /if ?></span><?cs /if ?><?cs /def ?>
<?cs def:class_name(c) ?><?cs if:Lang.classes[c] ?><?cs var:Lang.classes[c] ?><?cs else ?><?cs var:c ?><?cs /if ?><?cs /def ?>
