<?cs # The calls in progress: how many now and today's peak, then one row per call (who with whom, state, line, since when). static/live.js keeps it current from /live/events; without JavaScript the page reloads every 5 s (inc/head.cs). The words live.js needs come in data- attributes, so no string is built in the script. ?>
<?cs set:Page.Title = Lang.live.title ?>
<?cs include:"inc/head.cs" ?>
<?cs def:party(p) ?><?cs if:p.Name ?><span class="clid-name"><?cs var:p.Name ?></span> <?cs /if ?><span class="number"><?cs var:p.Number ?></span><?cs if:p.Endpoint && p.Endpoint != p.Number ?> <span class="endpoint">(<?cs var:p.Endpoint ?>)</span><?cs /if ?><?cs /def ?>
<h1><?cs var:Lang.live.title ?></h1>
<p class="live-summary"><?cs var:Lang.live.active ?>: <strong id="live-active"><?cs var:Live.Active ?></strong> · <?cs var:Lang.live.peak ?>: <strong id="live-peak"><?cs var:Live.Peak ?></strong></p>
<p class="warn-box" id="live-disconnected"<?cs if:Live.Connected ?> hidden<?cs /if ?>><?cs var:Lang.live.disconnected ?></p>
<p class="warn-box" id="live-unsynced"<?cs if:!Live.Connected || Live.Synced ?> hidden<?cs /if ?>><?cs var:Lang.live.unsynced ?></p>
<table class="list" id="live-calls" data-now="<?cs var:Live.Now ?>"
       data-state-ringing="<?cs var:Lang.live.states.ringing ?>" data-state-up="<?cs var:Lang.live.states.up ?>"
       data-kind-internal="<?cs var:Lang.live.internal ?>" data-kind-inbound="<?cs var:Lang.live.inbound ?>"
       data-kind-outbound="<?cs var:Lang.live.outbound ?>">
  <thead><tr><th><?cs var:Lang.live.caller ?></th><th><?cs var:Lang.live.callee ?></th><th><?cs var:Lang.live.state ?></th><th><?cs var:Lang.live.line ?></th><th><?cs var:Lang.live.since ?></th><th><?cs var:Lang.live.elapsed ?></th></tr></thead>
  <tbody id="live-rows">
  <?cs each:c = Live.Calls ?>
    <tr class="state-<?cs var:c.State ?>" data-call="<?cs var:c.Id ?>">
      <td class="caller"><?cs call:party(c.Caller) ?></td>
      <td class="callee"><?cs call:party(c.Callee) ?></td>
      <td class="state"><?cs var:Lang.live.states[c.State] ?></td>
      <td class="kind"><?cs var:Lang.live[c.Kind] ?><?cs if:c.Trunk ?> <span class="trunk"><?cs var:c.Trunk ?></span><?cs /if ?></td>
      <td class="time"><?cs var:c.Since ?></td>
      <td class="duration" data-since="<?cs var:c.SinceEpoch ?>"><?cs var:c.Elapsed ?></td>
    </tr>
  <?cs /each ?>
  </tbody>
</table>
<p class="muted" id="live-none"<?cs if:Live.Active > 0 ?> hidden<?cs /if ?>><?cs var:Lang.live.none ?></p>
<?cs include:"inc/foot.cs" ?>
