<?cs set:Page.Title = Lang.phones.remove_title ?>
<?cs include:"inc/head.cs" ?>
<section class="card narrow">
  <h1><?cs var:Lang.phones.remove_title ?></h1>
  <p><?cs var:Lang.phones.remove_question ?> <strong><?cs var:Phone.Extension ?> · <?cs var:Phone.Name ?></strong> (<code><?cs var:Phone.Mac ?></code>)?</p>
  <p><?cs var:Lang.phones.remove_effect ?></p>
  <form method="post" action="/phones/<?cs var:Phone.Id ?>/delete" id="remove-form">
    <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="version" value="<?cs var:Phone.Version ?>">
    <button type="submit" class="danger"><?cs var:Lang.phones.remove_yes ?></button>
    <a href="/phones"><?cs var:Lang.phones.cancel ?></a>
  </form>
</section>
<?cs include:"inc/foot.cs" ?>
