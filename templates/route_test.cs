<?cs # The route tester: a number and a calling class in; the route that takes it and what each trunk receives in order, or why it is refused. ?>
<?cs set:Page.Title = Lang.tester.title ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<h1><?cs var:Lang.tester.title ?></h1>
<p class="muted"><?cs var:Lang.tester.intro ?> <?cs var:Lang.tester.context_note ?></p>
<section class="card">
<form method="get" action="/routes/test" id="test-form" novalidate>
  <label><?cs var:Lang.tester.number ?>
    <input name="number" inputmode="tel" maxlength="79" value="<?cs var:Form.test.number.value ?>" autocomplete="off">
    <?cs call:field_error(Form.test.number.error) ?></label>
  <label><?cs var:Lang.tester.class ?>
    <select name="class">
      <?cs each:c = Classes ?>
      <option value="<?cs var:c.Name ?>"<?cs if:c.Name == Form.test.class.value ?> selected<?cs /if ?>><?cs call:class_name(c.Name) ?></option>
      <?cs /each ?>
    </select>
    <?cs call:field_error(Form.test.class.error) ?></label>
  <button type="submit"><?cs var:Lang.tester.submit ?></button>
  <a href="/routes"><?cs var:Lang.routes.title ?></a>
</form>
</section>
<?cs if:Test.Verdict ?>
<section class="card" id="test-result" data-verdict="<?cs var:Test.Verdict ?>">
  <h2><?cs var:Lang.tester.result ?>: <code id="test-number"><?cs var:Test.Number ?></code> · <?cs call:class_name(Test.Class) ?></h2>
  <p id="verdict" class="<?cs if:Test.Verdict == "matched" || Test.Verdict == "emergency" ?>status-registered<?cs else ?>status-blocked<?cs /if ?>"><?cs var:Lang.tester.verdict[Test.Verdict] ?><?cs if:Test.Route.Name ?> <strong id="test-route" data-id="<?cs var:Test.Route.Id ?>"><?cs var:Test.Route.Name ?></strong> (<?cs var:Lang.tester.pattern ?> <code id="test-pattern"><?cs var:Test.Pattern ?></code>)<?cs /if ?></p>
  <?cs if:Test.Verdict == "not_allowed" ?><p id="allowed-classes"><?cs var:Lang.tester.allowed ?> <?cs each:c = Test.Route.Classes ?><?cs call:class_name(c) ?><?cs if:!last(c) ?>, <?cs /if ?><?cs /each ?></p><?cs /if ?>
  <?cs if:subcount(Test.Attempts) > 0 && (Test.Verdict == "matched" || Test.Verdict == "emergency") ?>
  <table class="list" id="attempts">
    <thead><tr><th><?cs var:Lang.tester.attempt ?></th><th><?cs var:Lang.tester.trunk ?></th><th><?cs var:Lang.tester.sent ?></th><th><?cs var:Lang.tester.callerid ?></th></tr></thead>
    <tbody>
    <?cs each:a = Test.Attempts ?>
    <tr class="attempt" data-trunk="<?cs var:a.Trunk ?>">
      <td><?cs var:name(a) + #1 ?></td>
      <td class="trunk"><?cs var:a.Trunk ?></td>
      <td class="sent"><code><?cs var:a.Number ?></code></td>
      <td class="callerid"><?cs if:a.CallerId ?><?cs var:a.CallerId ?><?cs else ?><span class="muted"><?cs var:Lang.tester.own_callerid ?></span><?cs /if ?></td>
    </tr>
    <?cs /each ?>
    </tbody>
  </table>
  <?cs /if ?>
</section>
<?cs /if ?>
<?cs include:"inc/foot.cs" ?>
