<?cs set:Page.Title = Lang.login.title ?>
<?cs include:"inc/head.cs" ?>
<section class="card narrow">
  <h1><?cs var:Lang.login.title ?></h1>
  <?cs if:Login.Error ?><p class="error" role="alert" id="login-error"><?cs var:Lang.login.error[Login.Error] ?></p><?cs /if ?>
  <form method="post" action="/login">
    <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="next" value="<?cs var:Form.login.next.value ?>">
    <label><?cs var:Lang.login.username ?>
      <input name="username" autocomplete="username" required maxlength="64" value="<?cs var:Form.login.username.value ?>" autofocus></label>
    <label><?cs var:Lang.login.password ?>
      <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit"><?cs var:Lang.login.submit ?></button>
  </form>
</section>
<?cs include:"inc/foot.cs" ?>
