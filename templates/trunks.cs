<?cs # The integrator's trunks: each with its provider, its live state on the PBX and whether its last change is applied. ?>
<?cs set:Page.Title = Lang.trunks.title ?>
<?cs include:"inc/head.cs" ?>
<div class="title-row">
  <h1><?cs var:Lang.trunks.title ?></h1>
  <a class="button" href="/trunks/new" id="add-trunk"><?cs var:Lang.trunks.add ?></a>
</div>
<p class="muted"><?cs var:Lang.trunks.intro ?></p>
<?cs if:Page.Done ?><p class="notice<?cs if:string.find(Page.Done, "_") >= 0 ?> warn<?cs /if ?>" role="status" id="flash"><?cs var:Lang.trunks.done[Page.Done] ?></p><?cs /if ?>
<?cs if:Dialplan.Status ?><p class="warn-box" id="dialplan-status" data-status="<?cs var:Dialplan.Status ?>"><?cs var:Lang.routes.dialplan_state[Dialplan.Status] ?><?cs if:Dialplan.Error ?> <span class="reason"><?cs var:Dialplan.Error ?></span><?cs /if ?></p><?cs /if ?>
<?cs if:Live.Unknown ?><p class="warn-box" id="live-unknown"><?cs var:Lang.trunks.live_unknown ?></p><?cs /if ?>
<?cs if:subcount(Trunks) == 0 ?>
<p id="no-trunks"><?cs var:Lang.trunks.none ?></p>
<?cs else ?>
<table class="list" id="trunks">
  <thead><tr><th><?cs var:Lang.trunks.name ?></th><th><?cs var:Lang.trunks.provider ?></th><th><?cs var:Lang.trunks.live ?></th><th><?cs var:Lang.trunks.apply ?></th><th></th></tr></thead>
  <tbody>
  <?cs each:t = Trunks ?>
  <tr data-trunk="<?cs var:t.Name ?>">
    <td class="name"><a href="/trunks/<?cs var:t.Id ?>/edit"><?cs var:t.Name ?></a></td>
    <td class="provider"><code><?cs var:t.Host ?>:<?cs var:t.Port ?></code> <span class="muted"><?cs var:t.Transport ?><?cs if:t.Registration == "1" ?> · <?cs var:Lang.trunks.registers ?><?cs /if ?></span></td>
    <td class="live live-<?cs var:t.Live ?>" data-live="<?cs var:t.Live ?>"><?cs var:Lang.trunks.state[t.Live] ?><?cs if:t.Detail ?> <span class="muted">(<?cs var:t.Detail ?>)</span><?cs /if ?></td>
    <td class="apply<?cs if:t.Apply ?> status-<?cs var:t.Apply ?><?cs /if ?>" data-apply="<?cs var:t.Apply ?>"><?cs if:t.Apply ?><?cs var:Lang.trunks.apply_state[t.Apply] ?><?cs else ?><?cs var:Lang.trunks.applied ?><?cs /if ?><?cs if:t.Error ?><br><span class="reason"><?cs var:t.Error ?></span><?cs /if ?></td>
    <td class="actions"><a href="/trunks/<?cs var:t.Id ?>/edit"><?cs var:Lang.trunks.edit ?></a> <a href="/trunks/<?cs var:t.Id ?>/delete"><?cs var:Lang.trunks.remove ?></a></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs /if ?>
<?cs include:"inc/foot.cs" ?>
