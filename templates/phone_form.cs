<?cs # The phone form (new and edit); the calling class (integrators only) from the configured classes. ?>
<?cs if:Form.Id ?><?cs set:Page.Title = Lang.phones.edit_title ?><?cs else ?><?cs set:Page.Title = Lang.phones.add_title ?><?cs /if ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<h1><?cs var:Page.Title ?></h1>
<?cs if:Form.Conflict ?><p class="error" role="alert" id="conflict"><?cs var:Lang.phones.conflict ?></p><?cs /if ?>
<?cs if:Form.phone.failed ?><p class="error" role="alert"><?cs var:Lang.form.fix_errors ?></p><?cs /if ?>
<section class="card">
<form method="post" action="<?cs var:Form.Action ?>" id="phone-form" novalidate>
  <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
  <?cs if:Form.phone.version.value ?><input type="hidden" name="version" value="<?cs var:Form.phone.version.value ?>"><?cs /if ?>
  <label><?cs var:Lang.phones.extension ?>
    <input name="extension" inputmode="numeric" maxlength="8" value="<?cs var:Form.phone.extension.value ?>" required>
    <?cs call:field_error(Form.phone.extension.error) ?><?cs if:Form.phone.extension.detail ?> <span class="field-detail" id="extension-detail"><?cs var:Form.phone.extension.detail ?></span><?cs /if ?></label>
  <label><?cs var:Lang.phones.name ?>
    <input name="name" maxlength="64" value="<?cs var:Form.phone.name.value ?>" required>
    <?cs call:field_error(Form.phone.name.error) ?></label>
  <label><?cs var:Lang.phones.model ?>
    <select name="model" required>
      <option value=""><?cs var:Lang.phones.choose_model ?></option>
      <?cs each:v = Vendors ?>
      <optgroup label="<?cs var:v.Name ?>">
        <?cs each:m = v.Models ?>
        <option value="<?cs var:m.Id ?>"<?cs if:m.Id == Form.phone.model.value ?> selected<?cs /if ?>><?cs var:m.Name ?></option>
        <?cs /each ?>
      </optgroup>
      <?cs /each ?>
    </select>
    <?cs call:field_error(Form.phone.model.error) ?></label>
  <label><?cs var:Lang.phones.mac ?>
    <input name="mac" maxlength="17" value="<?cs var:Form.phone.mac.value ?>" placeholder="00:0B:82:A1:B2:C3" required>
    <span class="hint"><?cs var:Lang.phones.mac_hint ?></span>
    <?cs call:field_error(Form.phone.mac.error) ?></label>
  <?cs if:User.Role == "integrator" ?>
  <label><?cs var:Lang.phones.class ?>
    <select name="calling_class">
      <?cs each:c = Classes ?>
      <option value="<?cs var:c.Name ?>"<?cs if:c.Name == Form.phone.calling_class.value ?> selected<?cs /if ?>><?cs call:class_name(c.Name) ?></option>
      <?cs /each ?>
    </select>
    <?cs call:field_error(Form.phone.calling_class.error) ?></label>
  <?cs /if ?>
  <button type="submit"><?cs var:Lang.phones.save ?></button>
  <a href="/phones"><?cs var:Lang.phones.cancel ?></a>
</form>
</section>
<?cs include:"inc/foot.cs" ?>
