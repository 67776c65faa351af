<?cs # The read-only preview of the routes dialplan Centralita writes (centralita/dialplan-routes.conf), as Asterisk reads it. ?>
<?cs set:Page.Title = Lang.dialplan.title ?>
<?cs include:"inc/head.cs" ?>
<h1><?cs var:Lang.dialplan.title ?></h1>
<p class="muted"><?cs var:Lang.dialplan.intro ?></p>
<p><a href="/routes"><?cs var:Lang.routes.title ?></a> · <a href="/routes/test"><?cs var:Lang.routes.test ?></a></p>
<?cs if:Dialplan.Error ?>
<p class="error" role="alert" id="dialplan-error"><?cs var:Lang.dialplan.error ?> <span class="reason"><?cs var:Dialplan.Error ?></span></p>
<?cs else ?>
<pre class="dialplan" id="dialplan"><?cs var:Dialplan.Text ?></pre>
<?cs /if ?>
<?cs include:"inc/foot.cs" ?>
