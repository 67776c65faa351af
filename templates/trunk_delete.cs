<?cs # Removing a trunk: the confirmation, or (409) the routes that still use it and must let it go first. ?>
<?cs set:Page.Title = Lang.trunks.remove_title ?>
<?cs include:"inc/head.cs" ?>
<section class="card narrow">
  <h1><?cs var:Lang.trunks.remove_title ?></h1>
  <?cs if:Trunk.UsedCount ?>
  <p class="error" role="alert" id="trunk-in-use"><?cs var:Lang.trunks.in_use ?> <strong id="used-by"><?cs var:Trunk.UsedBy ?></strong></p>
  <p><a href="/routes"><?cs var:Lang.routes.title ?></a> · <a href="/trunks"><?cs var:Lang.trunks.back ?></a></p>
  <?cs else ?>
  <p><?cs var:Lang.trunks.remove_question ?> <strong><?cs var:Trunk.Name ?></strong> (<code><?cs var:Trunk.Host ?></code>)?</p>
  <p><?cs var:Lang.trunks.remove_effect ?></p>
  <form method="post" action="/trunks/<?cs var:Trunk.Id ?>/delete" id="remove-form">
    <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="version" value="<?cs var:Trunk.Version ?>">
    <button type="submit" class="danger"><?cs var:Lang.trunks.remove_yes ?></button>
    <a href="/trunks"><?cs var:Lang.trunks.cancel ?></a>
  </form>
  <?cs /if ?>
</section>
<?cs include:"inc/foot.cs" ?>
