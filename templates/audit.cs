<?cs # The audit trail (integrator): the filter form (a GET form: works without JavaScript), one page of rows, newest first, and the older/newer pages (keyset cursors, as GET forms repeating the filters). Read only. ?>
<?cs set:Page.Title = Lang.audit.title ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<?cs def:filters() ?>
  <input type="hidden" name="q" value="<?cs var:Form.audit.q.value ?>">
  <input type="hidden" name="user" value="<?cs var:Form.audit.user.value ?>">
  <input type="hidden" name="kind" value="<?cs var:Form.audit.kind.value ?>">
  <input type="hidden" name="from" value="<?cs var:Form.audit.from.value ?>">
  <input type="hidden" name="to" value="<?cs var:Form.audit.to.value ?>">
  <?cs if:Form.audit.per.value ?><input type="hidden" name="per" value="<?cs var:Form.audit.per.value ?>"><?cs /if ?>
<?cs /def ?>
<h1><?cs var:Lang.audit.title ?></h1>
<p class="hint"><?cs var:Lang.audit.intro ?></p>
<form method="get" action="/audit" class="calls-filter card" id="audit-filter" role="search" novalidate>
  <?cs if:Form.audit.failed ?><p class="error" role="alert" id="filter-error"><?cs var:Lang.audit.invalid ?></p><?cs /if ?>
  <label><?cs var:Lang.audit.text ?>
    <input name="q" type="search" maxlength="63" value="<?cs var:Form.audit.q.value ?>" placeholder="<?cs var:Lang.audit.text_hint ?>">
    <?cs call:rule_error(Lang.audit.err, "q", Form.audit.q.error) ?></label>
  <label><?cs var:Lang.audit.user ?>
    <input name="user" maxlength="64" value="<?cs var:Form.audit.user.value ?>">
    <?cs call:rule_error(Lang.audit.err, "user", Form.audit.user.error) ?></label>
  <label><?cs var:Lang.audit.kind ?>
    <select name="kind">
      <option value=""><?cs var:Lang.audit.any ?></option>
      <?cs each:k = Lang.audit.kinds ?><option value="<?cs name:k ?>"<?cs if:Form.audit.kind.value == name(k) ?> selected<?cs /if ?>><?cs var:k ?></option><?cs /each ?>
    </select>
    <?cs call:rule_error(Lang.audit.err, "kind", Form.audit.kind.error) ?></label>
  <label><?cs var:Lang.audit.from_date ?>
    <input type="date" name="from" value="<?cs var:Form.audit.from.value ?>">
    <?cs call:rule_error(Lang.audit.err, "from", Form.audit.from.error) ?></label>
  <label><?cs var:Lang.audit.to_date ?>
    <input type="date" name="to" value="<?cs var:Form.audit.to.value ?>">
    <?cs call:rule_error(Lang.audit.err, "to", Form.audit.to.error) ?></label>
  <?cs if:Form.audit.per.value ?><input type="hidden" name="per" value="<?cs var:Form.audit.per.value ?>"><?cs /if ?>
  <?cs call:rule_error(Lang.audit.err, "per", Form.audit.per.error) ?>
  <?cs call:rule_error(Lang.audit.err, "older", Form.audit.older.error) ?>
  <?cs call:rule_error(Lang.audit.err, "newer", Form.audit.newer.error) ?>
  <div class="filter-actions">
    <button type="submit" id="apply-filter"><?cs var:Lang.audit.apply ?></button>
    <a href="/audit" id="clear-filter"><?cs var:Lang.audit.clear ?></a>
  </div>
</form>
<?cs if:!Form.audit.failed ?>
<?cs if:subcount(Audit) == 0 ?>
<p id="no-rows"><?cs var:Lang.audit.none ?></p>
<?cs else ?>
<table class="list audit" id="audit">
  <thead><tr>
    <th><?cs var:Lang.audit.col.time ?></th>
    <th><?cs var:Lang.audit.col.user ?></th>
    <th><?cs var:Lang.audit.col.action ?></th>
    <th><?cs var:Lang.audit.col.changes ?></th>
    <th><?cs var:Lang.audit.col.ami ?></th>
    <th><?cs var:Lang.audit.col.outcome ?></th>
  </tr></thead>
  <tbody>
  <?cs each:r = Audit ?>
  <tr data-id="<?cs var:r.Id ?>" data-action="<?cs var:r.Action ?>" class="audit-row">
    <td class="time"><time datetime="<?cs var:r.Iso ?>"><?cs var:r.Time ?></time></td>
    <td class="user"><span class="name"><?cs var:r.User ?></span><?cs if:r.Address ?><br><span class="address"><?cs var:r.Address ?></span><?cs /if ?></td>
    <td class="action"><span class="kind"><?cs if:Lang.audit.actions[r.ActionKey] ?><?cs var:Lang.audit.actions[r.ActionKey] ?><?cs else ?><?cs var:r.Action ?><?cs /if ?></span><br><span class="object"><?cs var:r.Object ?></span></td>
    <td class="changes"><pre><?cs var:r.Changes ?></pre></td>
    <td class="ami"><pre><?cs var:r.Ami ?></pre></td>
    <td class="outcome outcome-<?cs var:r.OutcomeKey ?>" data-outcome="<?cs var:r.OutcomeKey ?>"><?cs if:r.OutcomeKey ?><strong><?cs var:Lang.audit.outcomes[r.OutcomeKey] ?></strong><?cs if:r.OutcomeDetail ?>: <?cs /if ?><?cs /if ?><?cs var:r.OutcomeDetail ?><?cs if:r.Output ?><details><summary><?cs var:Lang.audit.output ?></summary><pre><?cs var:r.Output ?></pre></details><?cs /if ?></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs /if ?>
<?cs if:Pager.Newer || Pager.Older || Pager.First ?>
<nav class="pager" aria-label="<?cs var:Lang.audit.pages ?>">
  <?cs if:Pager.First ?><form method="get" action="/audit" class="inline"><?cs call:filters() ?><button type="submit" class="link" id="first"><?cs var:Lang.audit.first ?></button></form><?cs /if ?>
  <?cs if:Pager.Newer ?><form method="get" action="/audit" class="inline"><?cs call:filters() ?><button type="submit" class="link" name="newer" value="<?cs var:Pager.Newer ?>" id="newer">← <?cs var:Lang.audit.newer ?></button></form><?cs /if ?>
  <?cs if:Pager.Older ?><form method="get" action="/audit" class="inline"><?cs call:filters() ?><button type="submit" class="link" name="older" value="<?cs var:Pager.Older ?>" id="older"><?cs var:Lang.audit.older ?> →</button></form><?cs /if ?>
</nav>
<?cs /if ?>
<?cs /if ?>
<?cs include:"inc/foot.cs" ?>
