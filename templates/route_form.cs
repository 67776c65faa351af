<?cs # The route form (new and edit): patterns one per line, strip/prepend, the classes that may use it, its trunks in failover order. ?>
<?cs if:Form.Id ?><?cs set:Page.Title = Lang.routes.edit_title ?><?cs else ?><?cs set:Page.Title = Lang.routes.add_title ?><?cs /if ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<h1><?cs var:Page.Title ?></h1>
<?cs if:Form.Conflict ?><p class="error" role="alert" id="conflict"><?cs var:Lang.routes.conflict ?></p><?cs /if ?>
<?cs if:Form.route.failed ?><p class="error" role="alert"><?cs var:Lang.form.fix_errors ?></p><?cs /if ?>
<section class="card">
<form method="post" action="<?cs var:Form.Action ?>" id="route-form" novalidate>
  <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
  <?cs if:Form.route.version.value ?><input type="hidden" name="version" value="<?cs var:Form.route.version.value ?>"><?cs /if ?>
  <label><?cs var:Lang.routes.name ?>
    <input name="name" maxlength="48" value="<?cs var:Form.route.name.value ?>" required autocomplete="off">
    <?cs call:rule_error(Lang.routes.err, "name", Form.route.name.error) ?></label>
  <label><?cs var:Lang.routes.patterns ?>
    <textarea name="patterns" rows="4" spellcheck="false" autocomplete="off" required><?cs var:Form.route.patterns.value ?></textarea>
    <span class="hint"><?cs var:Lang.routes.patterns_hint ?></span>
    <?cs call:rule_error(Lang.routes.err, "patterns", Form.route.patterns.error) ?><?cs if:Form.route.patterns.pattern ?> <span class="field-detail" id="bad-pattern"><?cs var:Lang.routes.bad_pattern ?> <?cs var:Form.route.patterns.pattern ?></span><?cs /if ?></label>
  <label><?cs var:Lang.routes.strip ?>
    <input name="strip" inputmode="numeric" maxlength="2" value="<?cs var:Form.route.strip.value ?>">
    <span class="hint"><?cs var:Lang.routes.strip_hint ?></span>
    <?cs call:rule_error(Lang.routes.err, "strip", Form.route.strip.error) ?><?cs if:Form.route.strip.pattern ?> <span class="field-detail" id="strip-pattern"><?cs var:Lang.routes.bad_pattern ?> <?cs var:Form.route.strip.pattern ?></span><?cs /if ?></label>
  <label><?cs var:Lang.routes.prepend ?>
    <input name="prepend" maxlength="20" value="<?cs var:Form.route.prepend.value ?>" autocomplete="off">
    <span class="hint"><?cs var:Lang.routes.prepend_hint ?></span>
    <?cs call:rule_error(Lang.routes.err, "prepend", Form.route.prepend.error) ?></label>
  <fieldset id="classes">
    <legend><?cs var:Lang.routes.classes ?></legend>
    <?cs each:c = Classes ?>
    <label class="check"><input type="checkbox" name="class_<?cs name:c ?>" value="<?cs var:c.Name ?>"<?cs if:c.Checked ?> checked<?cs /if ?>> <?cs call:class_name(c.Name) ?></label>
    <?cs /each ?>
    <?cs call:rule_error(Lang.routes.err, "classes", Form.route.classes.error) ?>
  </fieldset>
  <fieldset id="trunks">
    <legend><?cs var:Lang.routes.trunks ?></legend>
    <span class="hint"><?cs var:Lang.routes.trunks_hint ?></span>
    <?cs each:s = Slots ?>
    <?cs if:#s.N <= subcount(Trunks) || s.Value || s.error ?>
    <label><?cs var:Lang.routes.trunk_n ?> <?cs var:s.N ?>
      <select name="trunk_<?cs var:s.N ?>">
        <option value=""><?cs var:Lang.routes.no_trunk_choice ?></option>
        <?cs each:t = Trunks ?>
        <option value="<?cs var:t.Id ?>"<?cs if:t.Id == s.Value ?> selected<?cs /if ?>><?cs var:t.Name ?></option>
        <?cs /each ?>
      </select>
      <?cs call:rule_error(Lang.routes.err, "trunk", s.error) ?></label>
    <?cs /if ?>
    <?cs /each ?>
    <?cs call:rule_error(Lang.routes.err, "trunks", Form.route.trunks.error) ?>
  </fieldset>
  <label><?cs var:Lang.routes.callerid ?>
    <input name="callerid" maxlength="20" value="<?cs var:Form.route.callerid.value ?>" autocomplete="off">
    <span class="hint"><?cs var:Lang.routes.callerid_hint ?></span>
    <?cs call:rule_error(Lang.routes.err, "callerid", Form.route.callerid.error) ?></label>
  <button type="submit"><?cs var:Lang.routes.save ?></button>
  <a href="/routes"><?cs var:Lang.routes.cancel ?></a>
</form>
</section>
<?cs include:"inc/foot.cs" ?>
