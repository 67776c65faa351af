<?cs set:Page.Title = Lang.import.check_title ?>
<?cs include:"inc/head.cs" ?>
<h1><?cs var:Lang.import.check_title ?></h1>
<p id="import-file"><?cs var:Lang.import.file ?>: <strong><?cs var:Import.File ?></strong></p>
<p id="import-summary"><?cs var:Lang.import.new ?>: <strong id="count-new"><?cs var:Import.New ?></strong> · <?cs var:Lang.import.update ?>: <strong id="count-update"><?cs var:Import.Update ?></strong> · <?cs var:Lang.import.same ?>: <strong id="count-same"><?cs var:Import.Same ?></strong></p>
<?cs if:Import.FailedLine ?><p class="warn-box" role="alert" id="import-failed"><?cs var:Lang.import.failed_line ?> <?cs var:Import.FailedLine ?></p><?cs /if ?>
<?cs if:Import.Problems > 0 ?>
<div class="warn-box" role="alert" id="import-problems-summary"><?cs var:Lang.import.problems ?> <strong><?cs var:Import.Problems ?></strong><?cs if:Import.Problems > Import.ProblemsListed ?> (<?cs var:Lang.import.listed ?> <?cs var:Import.ProblemsListed ?>)<?cs /if ?>. <?cs var:Lang.import.nothing_changed ?></div>
<table class="list" id="import-problems">
  <thead><tr><th><?cs var:Lang.import.line ?></th><th><?cs var:Lang.import.column ?></th><th><?cs var:Lang.import.problem ?></th><th><?cs var:Lang.import.detail ?></th></tr></thead>
  <tbody>
  <?cs each:pr = Problems ?>
  <tr data-line="<?cs var:pr.Line ?>" data-column="<?cs var:pr.Column ?>" data-key="<?cs var:pr.Key ?>">
    <td><?cs if:pr.Line > 0 ?><?cs var:pr.Line ?><?cs /if ?></td>
    <td><?cs if:pr.Column ?><?cs var:Lang.import.col[pr.Column] ?><?cs /if ?></td>
    <td><?cs if:pr.Group == "import" ?><?cs var:Lang.import.err[pr.Key] ?><?cs else ?><?cs var:Lang.err[pr.Key] ?><?cs /if ?></td>
    <td><?cs var:pr.Detail ?></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<p><a class="button" href="/phones/import" id="import-again"><?cs var:Lang.import.again ?></a></p>
<?cs else ?>
<?cs if:Import.PbxUnchecked ?><p class="warn-box" id="import-pbx-unchecked"><?cs var:Lang.import.pbx_unchecked ?></p><?cs /if ?>
<?cs if:Import.New + Import.Update > 0 ?>
<form method="post" action="/phones/import/<?cs var:Import.Id ?>" id="import-apply">
  <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
  <button type="submit" id="import-confirm"><?cs var:Lang.import.confirm ?></button> <a href="/phones/import"><?cs var:Lang.import.cancel ?></a>
</form>
<?cs else ?>
<p id="import-nothing"><?cs var:Lang.import.nothing_to_do ?></p>
<?cs /if ?>
<?cs /if ?>
<?cs if:Import.Rows > 0 ?>
<h2><?cs var:Lang.import.rows ?><?cs if:Import.Rows > Import.RowsShown ?> (<?cs var:Lang.import.listed ?> <?cs var:Import.RowsShown ?> / <?cs var:Import.Rows ?>)<?cs /if ?></h2>
<table class="list" id="import-rows">
  <thead><tr><th><?cs var:Lang.import.line ?></th><th><?cs var:Lang.phones.extension ?></th><th><?cs var:Lang.phones.name ?></th><th><?cs var:Lang.phones.model ?></th><th><?cs var:Lang.phones.mac ?></th><th><?cs var:Lang.import.class_heading ?></th><th><?cs var:Lang.import.what ?></th></tr></thead>
  <tbody>
  <?cs each:r = Rows ?>
  <tr data-line="<?cs var:r.Line ?>" data-kind="<?cs var:r.Kind ?>">
    <td><?cs var:r.Line ?></td><td><?cs var:r.Extension ?></td><td><?cs var:r.Name ?></td><td><?cs var:r.Model ?></td><td><code><?cs var:r.Mac ?></code></td><td><?cs var:r.Class ?></td>
    <td><?cs var:Lang.import.kind[r.Kind] ?><?cs if:r.Changes ?><br><span class="muted"><?cs var:r.Changes ?></span><?cs /if ?></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs /if ?>
<?cs include:"inc/foot.cs" ?>
