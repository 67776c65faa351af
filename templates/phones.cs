<?cs set:Page.Title = Lang.phones.title ?>
<?cs include:"inc/head.cs" ?>
<div class="title-row">
  <h1><?cs var:Lang.phones.title ?></h1>
  <span class="actions">
  <a class="button" href="/phones/new" id="add-phone"><?cs var:Lang.phones.add ?></a>
  <?cs if:User.Role == "integrator" ?><a class="button secondary" href="/phones/import" id="import-phones"><?cs var:Lang.import.link ?></a><?cs /if ?>
  <a class="button secondary" href="/phones.csv?q=<?cs var:url_escape(Filter.Q) ?>" id="export-phones"><?cs var:Lang.import.export ?></a>
  </span>
</div>
<?cs if:Page.Done ?><p class="notice<?cs if:string.find(Page.Done, "_") >= 0 ?> warn<?cs /if ?>" role="status" id="flash"><?cs var:Lang.phones.done[Page.Done] ?></p><?cs /if ?>
<?cs if:Pbx.Pending > 0 ?><p class="warn-box" id="pending-summary"><?cs var:Lang.phones.pending_summary ?> <?cs var:Pbx.Pending ?></p><?cs /if ?>
<?cs if:User.Role == "integrator" ?><form method="post" action="/pbx/verify" class="verify" id="verify-form"><input type="hidden" name="_csrf" value="<?cs var:CSRF ?>"><button type="submit" class="secondary"><?cs var:Lang.phones.verify ?></button> <span class="hint"><?cs var:Lang.phones.verify_hint ?></span></form><?cs /if ?>
<form method="get" action="/phones" class="filter" role="search">
  <input name="q" type="search" value="<?cs var:Filter.Q ?>" maxlength="64" placeholder="<?cs var:Lang.phones.filter_hint ?>" aria-label="<?cs var:Lang.phones.filter_hint ?>">
  <button type="submit"><?cs var:Lang.phones.filter ?></button>
</form>
<?cs if:subcount(Phones) == 0 ?>
<p id="no-phones"><?cs if:Filter.Q ?><?cs var:Lang.phones.none_match ?><?cs else ?><?cs var:Lang.phones.none ?><?cs /if ?></p>
<?cs else ?>
<table class="list" id="phones">
  <thead><tr><th><?cs var:Lang.phones.extension ?></th><th><?cs var:Lang.phones.name ?></th><th><?cs var:Lang.phones.model ?></th><th><?cs var:Lang.phones.mac ?></th><th><?cs var:Lang.phones.status ?></th><th></th></tr></thead>
  <tbody>
  <?cs each:ph = Phones ?>
  <tr data-extension="<?cs var:ph.Extension ?>">
    <td class="ext"><a href="/phones/<?cs var:ph.Id ?>"><?cs var:ph.Extension ?></a></td>
    <td class="name"><?cs var:ph.Name ?></td>
    <td><?cs var:ph.Model ?></td>
    <td class="mac"><code><?cs var:ph.Mac ?></code></td>
    <td class="status status-<?cs var:ph.Status ?>"><?cs var:Lang.phones.state[ph.Status] ?><?cs if:ph.Address ?> <span class="muted">(<?cs var:ph.Address ?>)</span><?cs /if ?><?cs if:ph.Error ?><br><span class="reason"><?cs var:ph.Error ?></span><?cs /if ?></td>
    <td class="actions"><a href="/phones/<?cs var:ph.Id ?>/edit"><?cs var:Lang.phones.edit ?></a> <a href="/phones/<?cs var:ph.Id ?>/delete"><?cs var:Lang.phones.remove ?></a></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs if:Filter.Pages > 1 ?>
<nav class="pager" aria-label="pages">
  <?cs if:Filter.Prev ?><a href="/phones?q=<?cs var:url_escape(Filter.Q) ?>&amp;page=<?cs var:Filter.Prev ?>" rel="prev">&larr;</a><?cs /if ?>
  <span><?cs var:Filter.Page ?> / <?cs var:Filter.Pages ?> (<?cs var:Filter.Total ?>)</span>
  <?cs if:Filter.Next ?><a href="/phones?q=<?cs var:url_escape(Filter.Q) ?>&amp;page=<?cs var:Filter.Next ?>" rel="next">&rarr;</a><?cs /if ?>
</nav>
<?cs /if ?>
<?cs /if ?>
<?cs include:"inc/foot.cs" ?>
