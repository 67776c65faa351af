<?cs set:Page.Title = Lang.users.title ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<h1><?cs var:Lang.users.title ?></h1>
<?cs if:Page.Done ?><p class="notice" role="status"><?cs var:Lang.users.done[Page.Done] ?></p><?cs /if ?>
<?cs if:Reset.Password ?>
<p class="notice" role="status" id="reset-notice"><?cs var:Lang.users.reset_done ?> <strong><?cs var:Reset.Name ?></strong>:
  <code id="new-password"><?cs var:Reset.Password ?></code></p>
<?cs /if ?>
<table class="list" id="users">
  <thead><tr><th><?cs var:Lang.users.name ?></th><th><?cs var:Lang.users.role ?></th><th><?cs var:Lang.users.state ?></th><th></th></tr></thead>
  <tbody>
  <?cs each:u = Users ?>
  <tr<?cs if:u.Disabled == "1" ?> class="disabled"<?cs /if ?>>
    <td class="user-name"><?cs var:u.Name ?></td>
    <td><?cs var:Lang.role[u.Role] ?></td>
    <td><?cs if:u.Disabled == "1" ?><?cs var:Lang.users.disabled ?><?cs else ?><?cs var:Lang.users.active ?><?cs /if ?></td>
    <td class="actions">
      <?cs if:u.Self != "1" ?>
      <?cs if:u.Disabled == "1" ?>
      <form method="post" action="/users/<?cs var:u.Id ?>/enable" class="inline">
        <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>"><button type="submit"><?cs var:Lang.users.enable ?></button></form>
      <?cs else ?>
      <form method="post" action="/users/<?cs var:u.Id ?>/disable" class="inline">
        <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>"><button type="submit"><?cs var:Lang.users.disable ?></button></form>
      <?cs /if ?>
      <?cs /if ?>
      <form method="post" action="/users/<?cs var:u.Id ?>/password" class="inline" data-confirm="<?cs var:Lang.users.reset_confirm ?>">
        <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>"><button type="submit"><?cs var:Lang.users.reset ?></button></form>
    </td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>

<section class="card">
  <h2><?cs var:Lang.users.new ?></h2>
  <?cs if:Form.user.failed ?><p class="error" role="alert"><?cs var:Lang.form.fix_errors ?></p><?cs /if ?>
  <form method="post" action="/users" id="new-user" novalidate>
    <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
    <label><?cs var:Lang.users.name ?>
      <input name="name" maxlength="64" value="<?cs var:Form.user.name.value ?>" required>
      <?cs call:field_error(Form.user.name.error) ?></label>
    <label><?cs var:Lang.users.role ?>
      <select name="role">
        <option value="owner"<?cs if:Form.user.role.value == "owner" ?> selected<?cs /if ?>><?cs var:Lang.role.owner ?></option>
        <option value="integrator"<?cs if:Form.user.role.value == "integrator" ?> selected<?cs /if ?>><?cs var:Lang.role.integrator ?></option>
      </select>
      <?cs call:field_error(Form.user.role.error) ?></label>
    <label><?cs var:Lang.users.password ?>
      <input name="password" type="password" autocomplete="new-password" minlength="10" required>
      <?cs call:field_error(Form.user.password.error) ?></label>
    <button type="submit"><?cs var:Lang.users.create ?></button>
  </form>
</section>
<?cs include:"inc/foot.cs" ?>
