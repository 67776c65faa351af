<?cs # A phone's details: status, provisioning settings and (integrators) its SIP password and calling class. ?>
<?cs set:Page.Title = Lang.phones.details_title ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<h1><?cs var:Lang.phones.details_title ?> <?cs var:Phone.Extension ?></h1>
<?cs if:Page.Done ?><p class="notice<?cs if:string.find(Page.Done, "_") >= 0 ?> warn<?cs /if ?>" role="status" id="flash"><?cs var:Lang.phones.done[Page.Done] ?></p><?cs /if ?>
<section class="cards">
  <div class="card">
    <h2><?cs var:Phone.Name ?></h2>
    <dl>
      <dt><?cs var:Lang.phones.model ?></dt><dd><?cs var:Phone.Model ?></dd>
      <dt><?cs var:Lang.phones.mac ?></dt><dd><code><?cs var:Phone.Mac ?></code></dd>
      <dt><?cs var:Lang.phones.status ?></dt><dd id="phone-status" class="status-<?cs var:Phone.Status ?>"><?cs var:Lang.phones.state[Phone.Status] ?><?cs if:Phone.Address ?> (<?cs var:Phone.Address ?>)<?cs /if ?><?cs if:Phone.Error ?><br><span class="reason"><?cs var:Phone.Error ?></span><?cs /if ?><?cs if:Phone.Restored ?><br><span class="muted" id="phone-restored"><?cs var:Lang.phones.restored ?> <?cs var:Phone.Restored ?></span><?cs /if ?></dd>
      <?cs if:User.Role == "integrator" ?><dt><?cs var:Lang.phones.class ?></dt><dd><?cs call:class_name(Phone.Class) ?></dd><?cs /if ?>
    </dl>
    <p><a href="/phones/<?cs var:Phone.Id ?>/edit"><?cs var:Lang.phones.edit ?></a> · <a href="/phones/<?cs var:Phone.Id ?>/delete"><?cs var:Lang.phones.remove ?></a></p>
  </div>
  <div class="card">
    <h2><?cs var:Lang.phones.setup ?></h2>
    <p><?cs var:Lang.phones.setup_hint ?></p>
    <dl>
      <dt><?cs var:Lang.phones.prov_url ?></dt><dd><code id="prov-url"><?cs var:Prov.Url ?></code></dd>
      <dt><?cs var:Lang.phones.prov_user ?></dt><dd><code><?cs var:Prov.User ?></code></dd>
      <dt><?cs var:Lang.phones.prov_files ?></dt><dd><?cs each:f = Prov.Files ?><code class="prov-file"><?cs var:f ?></code> <?cs /each ?></dd>
      <dt><?cs var:Lang.phones.sip_server ?></dt><dd><code><?cs var:Sip.Server ?>:<?cs var:Sip.Port ?></code></dd>
      <dt><?cs var:Lang.phones.sip_user ?></dt><dd><code><?cs var:Sip.User ?></code></dd>
      <?cs if:User.Role == "integrator" ?>
      <dt><?cs var:Lang.phones.secret ?></dt>
      <dd><?cs if:Phone.Secret ?><code id="secret"><?cs var:Phone.Secret ?></code><?cs else ?>
        <form method="post" action="/phones/<?cs var:Phone.Id ?>/reveal" class="inline">
          <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>"><button type="submit" id="reveal"><?cs var:Lang.phones.reveal ?></button></form><?cs /if ?>
      </dd>
      <?cs /if ?>
    </dl>
    <?cs if:User.Role == "integrator" ?>
    <form method="post" action="/phones/<?cs var:Phone.Id ?>/secret" data-confirm="<?cs var:Lang.phones.new_secret_confirm ?>">
      <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
      <input type="hidden" name="version" value="<?cs var:Phone.Version ?>">
      <button type="submit" id="new-secret"><?cs var:Lang.phones.new_secret ?></button>
    </form>
    <?cs /if ?>
  </div>
</section>
<?cs include:"inc/foot.cs" ?>
