<?cs # The outbound routes in priority order: patterns, classes, trunks in failover order, and buttons to move each up or down. ?>
<?cs set:Page.Title = Lang.routes.title ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<div class="title-row">
  <h1><?cs var:Lang.routes.title ?></h1>
  <?cs if:TrunkCount > 0 ?><a class="button" href="/routes/new" id="add-route"><?cs var:Lang.routes.add ?></a><?cs /if ?>
</div>
<p class="muted"><?cs var:Lang.routes.intro ?></p>
<p><a href="/routes/test" id="tester-link"><?cs var:Lang.routes.test ?></a> · <a href="/routes/dialplan" id="dialplan-link"><?cs var:Lang.routes.dialplan ?></a></p>
<?cs if:Page.Done ?><p class="notice<?cs if:string.find(Page.Done, "_") >= 0 ?> warn<?cs /if ?>" role="status" id="flash"><?cs var:Lang.routes.done[Page.Done] ?></p><?cs /if ?>
<?cs if:Dialplan.Status ?><p class="warn-box" id="dialplan-status" data-status="<?cs var:Dialplan.Status ?>"><?cs var:Lang.routes.dialplan_state[Dialplan.Status] ?><?cs if:Dialplan.Error ?> <span class="reason"><?cs var:Dialplan.Error ?></span><?cs /if ?></p><?cs /if ?>
<?cs if:TrunkCount == 0 ?><p class="warn-box" id="need-trunk"><?cs var:Lang.routes.need_trunk ?> <a href="/trunks/new"><?cs var:Lang.trunks.add ?></a></p><?cs /if ?>
<?cs if:subcount(Routes) == 0 ?>
<p id="no-routes"><?cs var:Lang.routes.none ?></p>
<?cs else ?>
<table class="list" id="routes">
  <thead><tr><th><?cs var:Lang.routes.order ?></th><th><?cs var:Lang.routes.name ?></th><th><?cs var:Lang.routes.patterns ?></th><th><?cs var:Lang.routes.classes ?></th><th><?cs var:Lang.routes.trunks ?></th><th></th></tr></thead>
  <tbody>
  <?cs each:r = Routes ?>
  <tr data-route="<?cs var:r.Name ?>" data-id="<?cs var:r.Id ?>">
    <td class="priority"><?cs var:r.Priority ?></td>
    <td class="name"><a href="/routes/<?cs var:r.Id ?>/edit"><?cs var:r.Name ?></a>
      <?cs if:r.Strip > 0 || r.Prepend ?><br><span class="muted"><?cs if:r.Strip > 0 ?><?cs var:Lang.routes.strip_short ?> <?cs var:r.Strip ?><?cs /if ?><?cs if:r.Strip > 0 && r.Prepend ?>, <?cs /if ?><?cs if:r.Prepend ?><?cs var:Lang.routes.prepend_short ?> <code><?cs var:r.Prepend ?></code><?cs /if ?></span><?cs /if ?>
      <?cs if:r.CallerId ?><br><span class="muted"><?cs var:Lang.routes.callerid ?> <?cs var:r.CallerId ?></span><?cs /if ?></td>
    <td class="patterns"><?cs each:pt = r.Patterns ?><code class="pattern"><?cs var:pt ?></code> <?cs /each ?></td>
    <td class="classes"><?cs each:c = r.Classes ?><span class="class" data-class="<?cs var:c ?>"><?cs call:class_name(c) ?></span><?cs if:!last(c) ?>, <?cs /if ?><?cs /each ?></td>
    <td class="trunks"><ol class="trunk-order"><?cs each:t = r.Trunks ?><li class="trunk" data-trunk="<?cs var:t.Name ?>"><?cs var:t.Name ?></li><?cs /each ?></ol></td>
    <td class="actions">
      <?cs if:!r.First ?><form method="post" action="/routes/<?cs var:r.Id ?>/move" class="inline move-up">
        <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>"><input type="hidden" name="version" value="<?cs var:r.Version ?>"><input type="hidden" name="dir" value="up">
        <button type="submit" title="<?cs var:Lang.routes.move_up ?>" aria-label="<?cs var:Lang.routes.move_up ?> <?cs var:r.Name ?>">&uarr; <?cs var:Lang.routes.up ?></button></form><?cs /if ?>
      <?cs if:!r.Last ?><form method="post" action="/routes/<?cs var:r.Id ?>/move" class="inline move-down">
        <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>"><input type="hidden" name="version" value="<?cs var:r.Version ?>"><input type="hidden" name="dir" value="down">
        <button type="submit" title="<?cs var:Lang.routes.move_down ?>" aria-label="<?cs var:Lang.routes.move_down ?> <?cs var:r.Name ?>">&darr; <?cs var:Lang.routes.down ?></button></form><?cs /if ?>
      <a href="/routes/<?cs var:r.Id ?>/edit"><?cs var:Lang.routes.edit ?></a> <a href="/routes/<?cs var:r.Id ?>/delete"><?cs var:Lang.routes.remove ?></a>
    </td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs /if ?>
<?cs include:"inc/foot.cs" ?>
