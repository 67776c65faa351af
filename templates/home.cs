<?cs # The landing page: the dashboard's tiles (calls, live calls, phones registered, trunks up, the PBX), then phones, the telephone exchange, the system and (integrators) calls going out. ?>
<?cs set:Page.Title = Lang.home.title ?>
<?cs include:"inc/head.cs" ?>
<h1><?cs var:Lang.home.welcome ?>, <?cs var:User.Name ?></h1>
<section class="tiles" id="dashboard">
  <a class="tile" id="tile-calls-today" href="/calls?from=<?cs var:Home.Today ?>&amp;to=<?cs var:Home.Today ?>"><span class="label"><?cs var:Lang.home.calls_today ?></span><span class="big" id="calls-today"><?cs var:Home.Calls.Today ?></span></a>
  <a class="tile" id="tile-missed-today" href="/calls?from=<?cs var:Home.Today ?>&amp;to=<?cs var:Home.Today ?>"><span class="label"><?cs var:Lang.home.missed_today ?></span><span class="big" id="missed-today"><?cs var:Home.Calls.MissedToday ?></span></a>
  <a class="tile" id="tile-calls-month" href="/stats"><span class="label"><?cs var:Lang.home.calls_month ?></span><span class="big" id="calls-month"><?cs var:Home.Calls.Month ?></span></a>
  <a class="tile" id="tile-live" href="/live"><span class="label"><?cs var:Lang.home.active_now ?> · <?cs var:Lang.home.peak_today ?></span><?cs if:Home.Live.Known ?><span class="big"><span id="active-now"><?cs var:Home.Live.Active ?></span> · <span id="peak-today"><?cs var:Home.Live.Peak ?></span></span><?cs else ?><span class="big muted" id="live-unknown"><?cs var:Lang.home.live_unknown ?></span><?cs /if ?></a>
  <a class="tile" id="tile-registered" href="/phones"><span class="label"><?cs var:Lang.home.registered ?></span><span class="big"><span id="registered-count"><?cs var:Home.Registered ?></span> <?cs var:Lang.home.of ?> <span id="registered-total"><?cs var:Home.Phones ?></span></span></a>
  <?cs if:User.Role == "integrator" ?>
  <a class="tile" id="tile-trunks" href="/trunks" title="<?cs var:Lang.home.trunks_up_hint ?>"><span class="label"><?cs var:Lang.home.trunks_up ?></span><?cs if:Home.TrunksKnown ?><span class="big"><span id="trunks-up"><?cs var:Home.TrunksUp ?></span> <?cs var:Lang.home.of ?> <span id="trunks-total"><?cs var:Home.TrunksLive ?></span></span><?cs else ?><span class="big muted" id="trunks-unknown"><?cs var:Lang.home.not_answering ?></span><?cs /if ?></a>
  <?cs /if ?>
  <a class="tile" id="tile-pbx" href="/pbx"><span class="label"><?cs var:Lang.home.version ?> · <?cs var:Lang.home.uptime ?></span><?cs if:Home.Pbx.Answering ?><span class="big"><span id="pbx-version"><?cs var:Home.Pbx.Version ?></span><?cs if:Home.Pbx.Uptime.Known ?> · <span id="pbx-uptime" data-days="<?cs var:Home.Pbx.Uptime.Days ?>"><?cs var:Home.Pbx.Uptime.Days ?> <?cs var:Lang.home.days_short ?> <?cs var:Home.Pbx.Uptime.Hours ?> <?cs var:Lang.home.hours_short ?> <?cs var:Home.Pbx.Uptime.Minutes ?> <?cs var:Lang.home.minutes_short ?></span><?cs /if ?></span><?cs else ?><span class="big muted" id="pbx-not-answering"><?cs var:Lang.home.not_answering ?></span><?cs /if ?></a>
</section>
<section class="cards">
  <div class="card">
    <h2><?cs var:Lang.home.phones ?></h2>
    <dl>
      <dt><?cs var:Lang.home.phones ?></dt><dd id="phone-count"><?cs var:Home.Phones ?></dd>
      <dt><?cs var:Lang.home.pending ?></dt><dd id="pending-count"><?cs var:Home.Pending ?></dd>
      <?cs if:Home.Vanished > 0 ?><dt><?cs var:Lang.home.vanished ?></dt><dd id="vanished-count" class="status-pending"><?cs var:Home.Vanished ?></dd><?cs /if ?>
    </dl>
    <p><a href="/phones"><?cs var:Lang.home.manage_phones ?></a></p>
  </div>
  <?cs if:User.Role == "integrator" ?>
  <div class="card" id="outbound">
    <h2><?cs var:Lang.home.outbound ?></h2>
    <dl>
      <dt><?cs var:Lang.home.trunks ?></dt><dd id="trunk-count"><?cs var:Home.Trunks ?></dd>
      <?cs if:Home.TrunksPending > 0 ?><dt><?cs var:Lang.home.trunks_pending ?></dt><dd id="trunks-pending" class="status-pending"><?cs var:Home.TrunksPending ?></dd><?cs /if ?>
      <dt><?cs var:Lang.home.routes ?></dt><dd id="route-count"><?cs var:Home.Routes ?></dd>
      <?cs if:Home.Dialplan ?><dt><?cs var:Lang.home.dialplan ?></dt><dd id="dialplan-state" class="status-<?cs var:Home.Dialplan ?>"><?cs var:Lang.trunks.apply_state[Home.Dialplan] ?></dd><?cs /if ?>
    </dl>
    <p><a href="/trunks"><?cs var:Lang.home.manage_trunks ?></a> · <a href="/routes"><?cs var:Lang.home.manage_routes ?></a></p>
  </div>
  <?cs /if ?>
  <div class="card">
    <h2><?cs var:Lang.home.pbx ?></h2>
    <dl>
      <dt><?cs var:Lang.home.address ?></dt><dd><?cs var:Home.Pbx.Address ?></dd>
      <dt><?cs var:Lang.home.channel ?></dt><dd><?cs if:Home.Pbx.Tls == "1" ?><?cs var:Lang.home.tls ?><?cs else ?><?cs var:Lang.home.plain ?><?cs /if ?></dd>
      <dt><?cs var:Lang.home.driver ?></dt><dd><?cs var:Home.Pbx.Driver ?></dd>
      <dt><?cs var:Lang.pbx.lately ?></dt><dd id="home-pbx-health" class="state-<?cs var:Home.Pbx.Health ?>"><?cs var:Lang.pbx.health[Home.Pbx.Health] ?><?cs if:Home.Pbx.Since ?> <?cs var:Lang.pbx.since ?> <?cs var:Home.Pbx.Since ?><?cs /if ?></dd>
    </dl>
    <p><a href="/pbx" id="home-pbx-status"><?cs var:Lang.pbx.title ?></a></p>
  </div>
  <div class="card">
    <h2><?cs var:Lang.home.system ?></h2>
    <dl>
      <dt><?cs var:Lang.home.users ?></dt><dd id="user-count"><?cs var:Home.Users ?></dd>
      <dt><?cs var:Lang.home.schema ?></dt><dd><?cs var:Home.SchemaVersion ?></dd>
    </dl>
    <?cs if:User.Role == "integrator" ?><p><a href="/users"><?cs var:Lang.home.manage_users ?></a></p><?cs /if ?>
  </div>
</section>
<?cs include:"inc/foot.cs" ?>
