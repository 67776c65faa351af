<?cs # Removing a route: the confirmation. ?>
<?cs set:Page.Title = Lang.routes.remove_title ?>
<?cs include:"inc/head.cs" ?>
<section class="card narrow">
  <h1><?cs var:Lang.routes.remove_title ?></h1>
  <p><?cs var:Lang.routes.remove_question ?> <strong><?cs var:Route.Name ?></strong>?</p>
  <p><?cs var:Lang.routes.remove_effect ?></p>
  <form method="post" action="/routes/<?cs var:Route.Id ?>/delete" id="remove-form">
    <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="version" value="<?cs var:Route.Version ?>">
    <button type="submit" class="danger"><?cs var:Lang.routes.remove_yes ?></button>
    <a href="/routes"><?cs var:Lang.routes.cancel ?></a>
  </form>
</section>
<?cs include:"inc/foot.cs" ?>
