<?cs # The call history: the filter form (a GET form: works without JavaScript), the total, one page of calls with links to the older and newer pages (keyset cursors), and the CSV export of the filtered set. ?>
<?cs set:Page.Title = Lang.calls.title ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<?cs def:sort_header(col, label) ?><th<?cs if:Sort[col].Current ?> aria-sort="<?cs var:Sort[col].Current ?>"<?cs /if ?>><?cs if:Sort[col].Href ?><a href="<?cs var:Sort[col].Href ?>" data-sort="<?cs var:col ?>"><?cs var:label ?><?cs if:Sort[col].Current == "descending" ?> ↓<?cs elif:Sort[col].Current == "ascending" ?> ↑<?cs /if ?></a><?cs else ?><?cs var:label ?><?cs /if ?></th><?cs /def ?>
<?cs def:party(name, number, ext) ?><?cs if:name ?><span class="clid-name"><?cs var:name ?></span> <?cs /if ?><span class="number"><?cs var:number ?></span><?cs if:ext && ext != number ?> <span class="phone-ext" title="<?cs var:Lang.calls.phone ?>">(<?cs var:Lang.calls.ext_short ?> <?cs var:ext ?>)</span><?cs /if ?><?cs /def ?>
<div class="title-row">
  <h1><?cs var:Lang.calls.title ?></h1>
  <?cs if:Page.CsvHref ?><a class="button" href="<?cs var:Page.CsvHref ?>" id="export-csv" download><?cs var:Lang.calls.export ?></a><?cs /if ?>
</div>
<form method="get" action="/calls" class="calls-filter card" id="calls-filter" role="search" novalidate>
  <?cs if:Form.calls.failed ?><p class="error" role="alert" id="filter-error"><?cs var:Lang.calls.invalid ?></p><?cs /if ?>
  <label><?cs var:Lang.calls.from_date ?>
    <input type="date" name="from" value="<?cs var:Form.calls.from.value ?>">
    <?cs call:rule_error(Lang.calls.err, "from", Form.calls.from.error) ?></label>
  <label><?cs var:Lang.calls.to_date ?>
    <input type="date" name="to" value="<?cs var:Form.calls.to.value ?>">
    <?cs call:rule_error(Lang.calls.err, "to", Form.calls.to.error) ?></label>
  <label><?cs var:Lang.calls.extension ?>
    <input name="ext" inputmode="numeric" maxlength="15" value="<?cs var:Form.calls.ext.value ?>">
    <?cs call:rule_error(Lang.calls.err, "ext", Form.calls.ext.error) ?></label>
  <label><?cs var:Lang.calls.direction ?>
    <select name="direction">
      <option value=""><?cs var:Lang.calls.any ?></option>
      <?cs each:d = Lang.calls.directions ?><option value="<?cs name:d ?>"<?cs if:Form.calls.direction.value == name(d) ?> selected<?cs /if ?>><?cs var:d ?></option><?cs /each ?>
    </select>
    <?cs call:rule_error(Lang.calls.err, "direction", Form.calls.direction.error) ?></label>
  <label><?cs var:Lang.calls.disposition ?>
    <select name="disposition">
      <option value=""><?cs var:Lang.calls.any ?></option>
      <?cs each:d = Lang.calls.dispositions ?><option value="<?cs name:d ?>"<?cs if:Form.calls.disposition.value == name(d) ?> selected<?cs /if ?>><?cs var:d ?></option><?cs /each ?>
    </select>
    <?cs call:rule_error(Lang.calls.err, "disposition", Form.calls.disposition.error) ?></label>
  <label><?cs var:Lang.calls.min_duration ?>
    <input name="min_duration" inputmode="numeric" maxlength="5" value="<?cs var:Form.calls.min_duration.value ?>">
    <?cs call:rule_error(Lang.calls.err, "min_duration", Form.calls.min_duration.error) ?></label>
  <label><?cs var:Lang.calls.text ?>
    <input name="q" type="search" maxlength="63" value="<?cs var:Form.calls.q.value ?>" placeholder="<?cs var:Lang.calls.text_hint ?>">
    <?cs call:rule_error(Lang.calls.err, "q", Form.calls.q.error) ?></label>
  <label><?cs var:Lang.calls.sort ?>
    <select name="sort">
      <?cs each:s = Lang.calls.sorts ?><option value="<?cs name:s ?>"<?cs if:Form.calls.sort.value == name(s) ?> selected<?cs /if ?>><?cs var:s ?></option><?cs /each ?>
    </select>
    <?cs call:rule_error(Lang.calls.err, "sort", Form.calls.sort.error) ?></label>
  <label><?cs var:Lang.calls.order ?>
    <select name="order">
      <option value="desc"<?cs if:Form.calls.order.value != "asc" ?> selected<?cs /if ?>><?cs var:Lang.calls.desc ?></option>
      <option value="asc"<?cs if:Form.calls.order.value == "asc" ?> selected<?cs /if ?>><?cs var:Lang.calls.asc ?></option>
    </select>
    <?cs call:rule_error(Lang.calls.err, "order", Form.calls.order.error) ?></label>
  <?cs if:Form.calls.per.value ?><input type="hidden" name="per" value="<?cs var:Form.calls.per.value ?>"><?cs /if ?>
  <?cs call:rule_error(Lang.calls.err, "per", Form.calls.per.error) ?>
  <?cs call:rule_error(Lang.calls.err, "after", Form.calls.after.error) ?>
  <?cs call:rule_error(Lang.calls.err, "before", Form.calls.before.error) ?>
  <div class="filter-actions">
    <button type="submit" id="apply-filter"><?cs var:Lang.calls.apply ?></button>
    <a href="/calls" id="clear-filter"><?cs var:Lang.calls.clear ?></a>
  </div>
</form>
<?cs if:!Form.calls.failed ?>
<p id="calls-total" data-total="<?cs var:Page.Total ?>"<?cs if:Page.TotalMore ?> data-more="1"<?cs /if ?>><?cs var:Lang.calls.total ?> <strong><?cs if:Page.TotalMore ?><?cs var:Lang.calls.more_than ?> <?cs /if ?><?cs var:Page.Total ?></strong></p>
<?cs if:subcount(Calls) == 0 ?>
<p id="no-calls"><?cs var:Lang.calls.none ?></p>
<?cs else ?>
<table class="list" id="calls">
  <thead><tr>
    <?cs call:sort_header("start", Lang.calls.col.time) ?>
    <?cs call:sort_header("src", Lang.calls.col.from) ?>
    <?cs call:sort_header("dst", Lang.calls.col.to) ?>
    <th><?cs var:Lang.calls.col.direction ?></th>
    <th><?cs var:Lang.calls.col.disposition ?></th>
    <?cs call:sort_header("duration", Lang.calls.col.duration) ?>
    <th><?cs var:Lang.calls.col.talk ?></th>
  </tr></thead>
  <tbody>
  <?cs each:c = Calls ?>
  <tr data-id="<?cs var:c.Id ?>" class="call disp-<?cs var:c.Disposition ?>">
    <td class="time"><time datetime="<?cs var:c.Iso ?>"><?cs var:c.Time ?></time></td>
    <td class="from"><?cs call:party(c.FromName, c.FromNumber, c.FromExt) ?></td>
    <td class="to"><?cs call:party("", c.ToNumber, c.ToExt) ?></td>
    <td class="direction" data-direction="<?cs var:c.Direction ?>"><?cs var:Lang.calls.directions[c.Direction] ?></td>
    <td class="disposition" data-disposition="<?cs var:c.Disposition ?>"><?cs var:Lang.calls.dispositions[c.Disposition] ?></td>
    <td class="duration"><?cs var:c.Duration ?></td>
    <td class="talk"><?cs var:c.Talk ?></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs /if ?>
<?cs if:Pager.Newer || Pager.Older || Pager.First ?>
<nav class="pager" aria-label="<?cs var:Lang.calls.pages ?>">
  <?cs if:Pager.First ?><a href="<?cs var:Pager.First ?>" id="first"><?cs var:Lang.calls.first ?></a><?cs /if ?>
  <?cs if:Pager.Newer ?><a href="<?cs var:Pager.Newer ?>" id="newer" rel="prev">← <?cs if:Sort.Column == "start" && Sort.Order == "desc" ?><?cs var:Lang.calls.newer ?><?cs else ?><?cs var:Lang.calls.previous ?><?cs /if ?></a><?cs /if ?>
  <?cs if:Pager.Older ?><a href="<?cs var:Pager.Older ?>" id="older" rel="next"><?cs if:Sort.Column == "start" && Sort.Order == "desc" ?><?cs var:Lang.calls.older ?><?cs else ?><?cs var:Lang.calls.next ?><?cs /if ?> →</a><?cs /if ?>
</nav>
<?cs /if ?>
<?cs /if ?>
<?cs include:"inc/foot.cs" ?>
