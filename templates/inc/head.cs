<?cs # Page layout, top half. Every page includes it first, and inc/foot.cs last. ?>
<!DOCTYPE html>
<html lang="<?cs var:Page.Lang ?>">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><?cs var:Page.Title ?> · Centralita</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script src="/static/app.js" defer></script>
<?cs if:Page.Script ?><script src="/static/<?cs var:Page.Script ?>" defer></script><?cs /if ?>
<?cs if:Page.RefreshAlways ?><meta http-equiv="refresh" content="<?cs var:Page.RefreshAlways ?>"><?cs /if ?>
<?cs if:Page.Refresh ?><noscript><meta http-equiv="refresh" content="<?cs var:Page.Refresh ?>"></noscript><?cs /if ?>
</head>
<body>
<header class="top">
  <a class="brand" href="/">Centralita</a>
  <?cs if:User.Name ?>
  <nav>
    <a href="/"<?cs if:Page.Path == "/" ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.home ?></a>
    <a href="/phones"<?cs if:string.find(Page.Path, "/phones") == 0 ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.phones ?></a>
    <a href="/calls"<?cs if:string.find(Page.Path, "/calls") == 0 ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.calls ?></a>
    <a href="/live"<?cs if:Page.Path == "/live" ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.live ?></a>
    <a href="/stats"<?cs if:Page.Path == "/stats" ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.stats ?></a>
    <a href="/pbx"<?cs if:string.find(Page.Path, "/pbx") == 0 ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.pbx ?></a>
    <?cs if:User.Role == "integrator" ?>
    <a href="/trunks"<?cs if:string.find(Page.Path, "/trunks") == 0 ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.trunks ?></a>
    <a href="/routes"<?cs if:string.find(Page.Path, "/routes") == 0 ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.routes ?></a>
    <a href="/users"<?cs if:Page.Path == "/users" ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.users ?></a>
    <a href="/audit"<?cs if:Page.Path == "/audit" ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.audit ?></a>
    <a href="/console"<?cs if:string.find(Page.Path, "/console") == 0 ?> aria-current="page"<?cs /if ?>><?cs var:Lang.nav.console ?></a>
    <?cs /if ?>
  </nav>
  <div class="session">
    <form method="post" action="/language" class="inline" id="language-form">
      <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
      <input type="hidden" name="back" value="<?cs var:Page.Path ?>">
      <?cs if:Page.Lang == "es" ?>
      <button type="submit" name="lang" value="en" class="link" lang="en">English</button>
      <?cs else ?>
      <button type="submit" name="lang" value="es" class="link" lang="es">Español</button>
      <?cs /if ?>
    </form>
    <span class="who"><?cs var:User.Name ?> (<?cs var:Lang.role[User.Role] ?>)</span>
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
      <button type="submit" class="link" id="logout"><?cs var:Lang.nav.logout ?></button>
    </form>
  </div>
  <?cs /if ?>
</header>
<main>
