<?cs # The drift check: what of Centralita's configuration Asterisk now has otherwise than Centralita made it, and the button that puts Centralita's version back. ?>
<?cs set:Page.Title = Lang.drift.title ?>
<?cs include:"inc/head.cs" ?>
<h1><?cs var:Lang.drift.title ?></h1>
<p class="muted"><?cs var:Lang.drift.intro ?></p>
<?cs if:Page.Done ?><p class="notice<?cs if:Page.Done != "repaired" ?> warn<?cs /if ?>" role="status" id="flash"><?cs var:Lang.drift.done[Page.Done] ?></p><?cs /if ?>
<?cs if:Drift.State == "done" ?>
  <?cs if:Drift.Count > 0 ?>
  <table class="list" id="drift">
    <thead><tr><th><?cs var:Lang.pbx.what ?></th><th><?cs var:Lang.drift.difference ?></th></tr></thead>
    <tbody>
    <?cs each:it = Drift.Items ?>
      <tr class="drift-<?cs var:it.Kind ?>"><td><?cs var:Lang.drift.kind[it.Kind] ?> <?cs var:it.Label ?></td><td><?cs var:it.Detail ?></td></tr>
    <?cs /each ?>
    </tbody>
  </table>
  <form method="post" action="/pbx/drift/repair" id="repair-form">
    <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
    <button type="submit"><?cs var:Lang.drift.repair ?></button>
  </form>
  <?cs else ?>
  <p class="notice" id="drift-none"><?cs var:Lang.drift.none ?></p>
  <?cs /if ?>
<?cs elif:Drift.State == "slow" ?>
  <p class="warn-box" id="drift-slow"><?cs var:Lang.drift.slow ?></p>
<?cs else ?>
  <p class="warn-box" id="drift-failed"><?cs var:Lang.drift.failed ?> <?cs var:Drift.Error ?></p>
<?cs /if ?>
<p><a href="/pbx"><?cs var:Lang.drift.back ?></a></p>
<?cs include:"inc/foot.cs" ?>
