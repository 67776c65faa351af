<?cs set:Page.Title = Lang.error.title ?>
<?cs include:"inc/head.cs" ?>
<section class="card narrow">
  <h1><?cs var:Lang.error.title ?> <?cs var:Error.Status ?></h1>
  <p id="error-message"><?cs if:Lang.error[Error.Key] ?><?cs var:Lang.error[Error.Key] ?><?cs else ?><?cs var:Lang.error.generic ?><?cs /if ?></p>
  <p><a href="/"><?cs var:Lang.error.home ?></a></p>
</section>
<?cs include:"inc/foot.cs" ?>
