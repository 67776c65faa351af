<?cs # The trunk form (new and edit): every field of a SIP provider's connection; a rule's message next to its field. ?>
<?cs if:Form.Id ?><?cs set:Page.Title = Lang.trunks.edit_title ?><?cs else ?><?cs set:Page.Title = Lang.trunks.add_title ?><?cs /if ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<h1><?cs var:Page.Title ?></h1>
<?cs if:Form.Conflict ?><p class="error" role="alert" id="conflict"><?cs var:Lang.trunks.conflict ?></p><?cs /if ?>
<?cs if:Form.trunk.failed ?><p class="error" role="alert"><?cs var:Lang.form.fix_errors ?></p><?cs /if ?>
<section class="card">
<form method="post" action="<?cs var:Form.Action ?>" id="trunk-form" novalidate>
  <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
  <?cs if:Form.trunk.version.value ?><input type="hidden" name="version" value="<?cs var:Form.trunk.version.value ?>"><?cs /if ?>
  <label><?cs var:Lang.trunks.name ?>
    <input name="name" maxlength="32" value="<?cs var:Form.trunk.name.value ?>" required autocomplete="off">
    <span class="hint"><?cs var:Lang.trunks.name_hint ?></span>
    <?cs call:rule_error(Lang.trunks.err, "name", Form.trunk.name.error) ?></label>
  <label><?cs var:Lang.trunks.host ?>
    <input name="host" maxlength="253" value="<?cs var:Form.trunk.host.value ?>" required autocomplete="off">
    <span class="hint"><?cs var:Lang.trunks.host_hint ?></span>
    <?cs call:rule_error(Lang.trunks.err, "host", Form.trunk.host.error) ?></label>
  <label><?cs var:Lang.trunks.port ?>
    <input name="port" inputmode="numeric" maxlength="5" value="<?cs var:Form.trunk.port.value ?>" required>
    <?cs call:rule_error(Lang.trunks.err, "port", Form.trunk.port.error) ?></label>
  <label><?cs var:Lang.trunks.transport ?>
    <select name="transport">
      <option value="udp"<?cs if:Form.trunk.transport.value == "udp" ?> selected<?cs /if ?>>UDP</option>
      <option value="tcp"<?cs if:Form.trunk.transport.value == "tcp" ?> selected<?cs /if ?>>TCP</option>
      <option value="tls"<?cs if:Form.trunk.transport.value == "tls" ?> selected<?cs /if ?>>TLS</option>
    </select>
    <?cs call:rule_error(Lang.trunks.err, "transport", Form.trunk.transport.error) ?></label>
  <label class="check"><input type="checkbox" name="registration" value="1"<?cs if:Form.trunk.registration.value == "1" ?> checked<?cs /if ?>> <?cs var:Lang.trunks.registration ?>
    <span class="hint"><?cs var:Lang.trunks.registration_hint ?></span>
    <?cs call:rule_error(Lang.trunks.err, "registration", Form.trunk.registration.error) ?></label>
  <label class="check"><input type="checkbox" name="outbound_auth" value="1"<?cs if:Form.trunk.outbound_auth.value == "1" ?> checked<?cs /if ?>> <?cs var:Lang.trunks.outbound_auth ?>
    <?cs call:rule_error(Lang.trunks.err, "outbound_auth", Form.trunk.outbound_auth.error) ?></label>
  <label><?cs var:Lang.trunks.username ?>
    <input name="username" maxlength="64" value="<?cs var:Form.trunk.username.value ?>" autocomplete="off">
    <?cs call:rule_error(Lang.trunks.err, "username", Form.trunk.username.error) ?></label>
  <label><?cs var:Lang.trunks.secret ?>
    <input name="secret" type="password" maxlength="128" value="" autocomplete="new-password">
    <?cs if:Form.HasSecret ?><span class="hint" id="secret-keep"><?cs var:Lang.trunks.secret_keep ?></span><?cs /if ?>
    <?cs call:rule_error(Lang.trunks.err, "secret", Form.trunk.secret.error) ?></label>
  <label><?cs var:Lang.trunks.expiration ?>
    <input name="expiration" inputmode="numeric" maxlength="5" value="<?cs var:Form.trunk.expiration.value ?>">
    <?cs call:rule_error(Lang.trunks.err, "expiration", Form.trunk.expiration.error) ?></label>
  <label><?cs var:Lang.trunks.from_user ?>
    <input name="from_user" maxlength="64" value="<?cs var:Form.trunk.from_user.value ?>" autocomplete="off">
    <?cs call:rule_error(Lang.trunks.err, "from_user", Form.trunk.from_user.error) ?></label>
  <label><?cs var:Lang.trunks.from_domain ?>
    <input name="from_domain" maxlength="253" value="<?cs var:Form.trunk.from_domain.value ?>" autocomplete="off">
    <span class="hint"><?cs var:Lang.trunks.from_hint ?></span>
    <?cs call:rule_error(Lang.trunks.err, "from_domain", Form.trunk.from_domain.error) ?></label>
  <fieldset id="codecs">
    <legend><?cs var:Lang.trunks.codecs ?></legend>
    <?cs each:c = Codecs ?>
    <label class="check"><input type="checkbox" name="codec_<?cs name:c ?>" value="<?cs var:c.Name ?>"<?cs if:c.Checked ?> checked<?cs /if ?>> <?cs var:c.Name ?></label>
    <?cs /each ?>
    <?cs call:rule_error(Lang.trunks.err, "codecs", Form.trunk.codecs.error) ?>
  </fieldset>
  <label><?cs var:Lang.trunks.callerid ?>
    <input name="callerid" maxlength="20" value="<?cs var:Form.trunk.callerid.value ?>" autocomplete="off">
    <span class="hint"><?cs var:Lang.trunks.callerid_hint ?></span>
    <?cs call:rule_error(Lang.trunks.err, "callerid", Form.trunk.callerid.error) ?></label>
  <label><?cs var:Lang.trunks.max_calls ?>
    <input name="max_calls" inputmode="numeric" maxlength="3" value="<?cs var:Form.trunk.max_calls.value ?>">
    <span class="hint"><?cs var:Lang.trunks.max_calls_hint ?></span>
    <?cs call:rule_error(Lang.trunks.err, "max_calls", Form.trunk.max_calls.error) ?></label>
  <button type="submit"><?cs var:Lang.trunks.save ?></button>
  <a href="/trunks"><?cs var:Lang.trunks.cancel ?></a>
</form>
</section>
<?cs include:"inc/foot.cs" ?>
