<?cs if:Progress.Refresh ?><?cs set:Page.RefreshAlways = Progress.Refresh ?><?cs set:Page.Title = Lang.import.progress_title ?><?cs else ?><?cs set:Page.Title = Lang.import.progress_done ?><?cs /if ?>
<?cs include:"inc/head.cs" ?>
<h1><?cs var:Page.Title ?></h1>
<p id="import-file"><?cs var:Lang.import.file ?>: <strong><?cs var:Import.File ?></strong> · <?cs var:Lang.import.new ?>: <?cs var:Import.New ?> · <?cs var:Lang.import.update ?>: <?cs var:Import.Update ?> · <?cs var:Lang.import.same ?>: <?cs var:Import.Same ?></p>
<?cs if:Progress.Total == 0 ?>
<p id="import-nothing" role="status"><?cs var:Lang.import.nothing_to_do ?></p>
<?cs else ?>
<p><label for="import-bar"><?cs var:Lang.import.live ?> <strong id="count-live"><?cs var:Progress.Live ?></strong> / <span id="count-total"><?cs var:Progress.Total ?></span></label><br>
<progress id="import-bar" max="<?cs var:Progress.Total ?>" value="<?cs var:Progress.Live ?>"><?cs var:Progress.Percent ?>%</progress></p>
<p id="import-state" role="status"><?cs if:Progress.Refresh ?><?cs var:Lang.import.working ?><?cs elif:Progress.Blocked > 0 ?><?cs var:Lang.import.done_blocked ?><?cs else ?><?cs var:Lang.import.done ?><?cs /if ?>
  (<?cs var:Lang.import.state_loading ?>: <span id="count-loading"><?cs var:Progress.Loading ?></span> · <?cs var:Lang.phones.state.pending ?>: <span id="count-pending"><?cs var:Progress.Pending ?></span> · <?cs var:Lang.phones.state.blocked ?>: <span id="count-blocked"><?cs var:Progress.Blocked ?></span>)</p>
<?cs if:subcount(Waiting) > 0 ?>
<table class="list" id="import-waiting">
  <thead><tr><th><?cs var:Lang.phones.extension ?></th><th><?cs var:Lang.phones.name ?></th><th><?cs var:Lang.phones.status ?></th></tr></thead>
  <tbody>
  <?cs each:w = Waiting ?>
  <tr data-extension="<?cs var:w.Extension ?>"><td><a href="/phones/<?cs var:w.Id ?>"><?cs var:w.Extension ?></a></td><td><?cs var:w.Name ?></td>
    <td class="status status-<?cs var:w.Status ?>"><?cs var:Lang.phones.state[w.Status] ?><?cs if:w.Error ?><br><span class="reason"><?cs var:w.Error ?></span><?cs /if ?></td></tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs /if ?>
<?cs /if ?>
<p><a href="/phones" id="to-phones"><?cs var:Lang.import.to_phones ?></a></p>
<?cs include:"inc/foot.cs" ?>
