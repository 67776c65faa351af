<?cs # The landing page: phones, the telephone exchange, the system and (integrators) calls going out. ?>
<?cs set:Page.Title = Lang.home.title ?>
<?cs include:"inc/head.cs" ?>
<h1><?cs var:Lang.home.welcome ?>, <?cs var:User.Name ?></h1>
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
    </dl>
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
