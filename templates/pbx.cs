<?cs # The PBX status: whether it answers (now, and what the last requests found since when), its versions, uptime and last reload, the pool's connections, and the changes waiting to be applied with their last error; integrators get "retry now" and the drift check. ?>
<?cs set:Page.Title = Lang.pbx.title ?>
<?cs include:"inc/head.cs" ?>
<h1><?cs var:Lang.pbx.title ?></h1>
<?cs if:Page.Done ?><p class="notice" role="status" id="flash"><?cs var:Lang.pbx.done[Page.Done] ?></p><?cs /if ?>
<section class="cards">
  <div class="card" id="pbx-state">
    <h2><?cs var:Lang.pbx.now ?></h2>
    <p class="state state-<?cs var:Status.Now ?>" id="pbx-now"><?cs var:Lang.pbx.health[Status.Now] ?></p>
    <?cs if:Status.Now != "answering" && Status.WaitMs ?><p class="muted"><?cs var:Lang.pbx.no_answer_within ?> <?cs var:Status.WaitMs ?> ms.</p><?cs /if ?>
    <dl>
      <dt><?cs var:Lang.pbx.lately ?></dt><dd id="pbx-health" class="state-<?cs var:Status.Health ?>"><?cs var:Lang.pbx.health[Status.Health] ?><?cs if:Status.Since ?> <?cs var:Lang.pbx.since ?> <span id="pbx-since"><?cs var:Status.Since ?></span><?cs /if ?></dd>
      <dt><?cs var:Lang.pbx.last_answer ?></dt><dd id="pbx-last-answer"><?cs if:Status.LastAnswer ?><?cs var:Status.LastAnswer ?><?cs else ?><?cs var:Lang.pbx.never ?><?cs /if ?></dd>
      <?cs if:Status.Problem ?><dt><?cs var:Lang.pbx.problem ?></dt><dd id="pbx-problem"><?cs var:Status.Problem ?></dd><?cs /if ?>
      <dt><?cs var:Lang.home.address ?></dt><dd><?cs var:Status.Address ?> (<?cs if:Status.Tls ?><?cs var:Lang.home.tls ?><?cs else ?><?cs var:Lang.home.plain ?><?cs /if ?>)</dd>
    </dl>
  </div>
  <div class="card" id="pbx-asterisk">
    <h2>Asterisk</h2>
    <?cs if:Status.Now == "answering" ?>
    <dl>
      <dt><?cs var:Lang.pbx.version ?></dt><dd id="pbx-version"><?cs var:Status.Version ?></dd>
      <dt><?cs var:Lang.pbx.ami_version ?></dt><dd id="pbx-ami-version"><?cs var:Status.AmiVersion ?></dd>
      <?cs if:Status.Started ?><dt><?cs var:Lang.pbx.started ?></dt><dd id="pbx-started"><?cs var:Status.Started ?> (<?cs var:Status.Uptime.Days ?> <?cs var:Lang.home.days_short ?> <?cs var:Status.Uptime.Hours ?> <?cs var:Lang.home.hours_short ?> <?cs var:Status.Uptime.Minutes ?> <?cs var:Lang.home.minutes_short ?>)</dd><?cs /if ?>
      <?cs if:Status.Reloaded ?><dt><?cs var:Lang.pbx.reloaded ?></dt><dd id="pbx-reloaded"><?cs var:Status.Reloaded ?></dd><?cs /if ?>
      <dt><?cs var:Lang.pbx.channels ?></dt><dd id="pbx-channels"><?cs var:Status.Channels ?></dd>
    </dl>
    <?cs else ?>
    <p class="muted"><?cs var:Lang.pbx.unknown_now ?></p>
    <?cs /if ?>
  </div>
  <div class="card" id="pbx-pool">
    <h2><?cs var:Lang.pbx.pool ?></h2>
    <dl>
      <dt><?cs var:Lang.pbx.pool_open ?></dt><dd><span id="pool-open"><?cs var:Status.Pool.Open ?></span> <?cs var:Lang.home.of ?> <span id="pool-size"><?cs var:Status.Pool.Size ?></span></dd>
      <dt><?cs var:Lang.pbx.pool_busy ?></dt><dd id="pool-busy"><?cs var:Status.Pool.Busy ?></dd>
      <dt><?cs var:Lang.pbx.pool_connects ?></dt><dd id="pool-connects"><?cs var:Status.Pool.Connects ?></dd>
      <dt><?cs var:Lang.pbx.pool_failures ?></dt><dd id="pool-failures"><?cs var:Status.Pool.Failures ?></dd>
      <dt><?cs var:Lang.pbx.pool_dropped ?></dt><dd id="pool-dropped"><?cs var:Status.Pool.Dropped ?></dd>
    </dl>
  </div>
</section>
<p id="loading"><?cs var:Lang.pbx.loading ?> <strong id="loading-count"><?cs var:Status.Loading ?></strong><?cs if:Status.ReloadProblem ?> <span class="reason" id="reload-problem">(<?cs var:Status.ReloadProblem ?>)</span><?cs /if ?></p>
<h2><?cs var:Lang.pbx.pending ?> (<span id="pending-total"><?cs var:Status.Pending ?></span>)</h2>
<?cs if:Status.Pending > 0 ?>
<table class="list" id="pending">
  <thead><tr><th><?cs var:Lang.pbx.what ?></th><th><?cs var:Lang.pbx.last_error ?></th><th><?cs var:Lang.pbx.attempts ?></th><th><?cs var:Lang.pbx.next ?></th></tr></thead>
  <tbody>
  <?cs each:it = Pending ?>
    <tr class="pending-<?cs var:it.Kind ?><?cs if:it.Blocked ?> blocked<?cs /if ?>">
      <td><?cs var:Lang.pbx.kind[it.Kind] ?> <?cs if:it.Kind == "phone" ?><a href="/phones/<?cs var:it.Id ?>"><?cs var:it.Label ?></a><?cs elif:it.Kind == "trunk" && User.Role == "integrator" ?><a href="/trunks/<?cs var:it.Id ?>/edit"><?cs var:it.Label ?></a><?cs else ?><?cs var:it.Label ?><?cs /if ?><?cs if:it.Removal ?> (<?cs var:Lang.pbx.removal ?>)<?cs /if ?></td>
      <td><?cs if:it.Error ?><?cs var:it.Error ?><?cs else ?><span class="muted"><?cs var:Lang.pbx.not_tried ?></span><?cs /if ?></td>
      <td><?cs var:it.Attempts ?></td>
      <td><?cs if:it.Blocked ?><?cs var:Lang.pbx.blocked ?><?cs elif:it.Next ?><?cs var:it.Next ?><?cs else ?><?cs var:Lang.pbx.next_round ?><?cs /if ?></td>
    </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs if:Status.Pending > Status.PendingShown ?><p class="muted"><?cs var:Lang.pbx.more ?></p><?cs /if ?>
<?cs if:User.Role == "integrator" ?>
<form method="post" action="/pbx/retry" id="retry-form">
  <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
  <button type="submit"><?cs var:Lang.pbx.retry ?></button>
</form>
<?cs /if ?>
<?cs else ?>
<p class="muted" id="pending-none"><?cs var:Lang.pbx.none_pending ?></p>
<?cs /if ?>
<?cs if:User.Role == "integrator" ?><p><a href="/pbx/drift" id="drift-link"><?cs var:Lang.pbx.drift_link ?></a></p><?cs /if ?>
<?cs include:"inc/foot.cs" ?>
