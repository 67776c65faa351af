<?cs set:Page.Title = Lang.import.title ?>
<?cs include:"inc/head.cs" ?>
<h1><?cs var:Lang.import.title ?></h1>
<p><?cs var:Lang.import.intro ?></p>
<?cs if:Form.Error ?><p class="warn-box" role="alert" id="import-error"><?cs var:Lang.import.err[Form.Error] ?></p><?cs /if ?>
<form method="post" action="/phones/import" enctype="multipart/form-data" id="import-form" class="form">
  <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
  <label><?cs var:Lang.import.file ?> <input type="file" name="file" accept=".csv,text/csv" required></label>
  <p class="hint"><?cs var:Lang.import.columns ?></p>
  <button type="submit" id="import-check"><?cs var:Lang.import.check ?></button>
</form>
<h2><?cs var:Lang.import.downloads ?></h2>
<ul id="import-templates">
  <li><?cs var:Lang.import.template ?>: <a href="/phones/import/template.csv?lang=en">English</a> · <a href="/phones/import/template.csv?lang=es">español</a></li>
  <li><?cs var:Lang.import.sample ?>: <a href="/phones/import/template.csv?lang=en&amp;sample=1">English</a> · <a href="/phones/import/template.csv?lang=es&amp;sample=1">español</a></li>
</ul>
<p><a href="/phones"><?cs var:Lang.import.back ?></a></p>
<?cs include:"inc/foot.cs" ?>
