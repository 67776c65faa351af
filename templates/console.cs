<?cs # The integrator's debug console: filters, the last lines of Asterisk's log coloured by level (or why the log cannot be read), follow mode (static/console.js, from /console/events), the download, and the CLI box with its answer and the commands it allows. ?>
<?cs set:Page.Title = Lang.console.title ?>
<?cs include:"inc/head.cs" ?>
<?cs include:"inc/macros.cs" ?>
<h1><?cs var:Lang.console.title ?></h1>
<section class="card" id="cli">
<h2><?cs var:Lang.console.cli ?></h2>
<form method="post" action="/console/cli" id="cli-form">
  <input type="hidden" name="_csrf" value="<?cs var:CSRF ?>">
  <label><?cs var:Lang.console.command ?>
    <input name="command" id="cli-command" maxlength="200" value="<?cs var:Cli.Command ?>" autocomplete="off" spellcheck="false" list="cli-allowed">
  </label>
  <button type="submit"><?cs var:Lang.console.run ?></button>
</form>
<datalist id="cli-allowed"><?cs each:a = Console.Allowed ?><option value="<?cs var:a ?>"><?cs /each ?></datalist>
<?cs if:Cli.Result ?>
<div id="cli-result" data-result="<?cs var:Cli.Result ?>">
  <?cs if:Cli.Result == "ok" ?>
  <p class="muted"><code><?cs var:Cli.Command ?></code></p>
  <?cs elif:Cli.Result == "refused" ?>
  <p class="warn-box" id="cli-refused"><?cs var:Lang.console.refused[Cli.Why] ?></p>
  <?cs elif:Cli.Result == "refused_by_pbx" ?>
  <p class="warn-box" id="cli-pbx-refused"><?cs var:Lang.console.pbx_refused ?> <q><?cs var:Cli.Message ?></q>. <?cs var:Lang.console.pbx_refused_hint ?></p>
  <?cs else ?>
  <p class="warn-box" id="cli-failed"><?cs var:Lang.console.failed[Cli.Result] ?> <?cs var:Cli.Message ?></p>
  <?cs /if ?>
  <?cs if:Cli.Output ?><pre class="cli-output" id="cli-output"><?cs var:Cli.Output ?></pre><?cs /if ?>
  <?cs if:Cli.Truncated ?><p class="muted"><?cs var:Lang.console.truncated ?></p><?cs /if ?>
</div>
<?cs /if ?>
<details id="cli-allow-list"<?cs if:Cli.Result == "refused" ?> open<?cs /if ?>>
  <summary><?cs var:Lang.console.allowed ?></summary>
  <ul class="allowed"><?cs each:a = Console.Allowed ?><li><code><?cs var:a ?></code></li><?cs /each ?></ul>
  <p class="muted"><?cs var:Lang.console.allowed_hint ?></p>
</details>
</section>

<section class="card" id="log">
<h2><?cs var:Lang.console.log ?> <code id="log-path"><?cs var:Console.Path ?></code></h2>
<form method="get" action="/console" id="filter-form" class="filters">
  <label><?cs var:Lang.console.level ?>
    <select name="level" id="filter-level">
      <option value=""><?cs var:Lang.console.all_levels ?></option>
      <?cs each:l = Lang.console.levels ?><option value="<?cs name:l ?>"<?cs if:Form.console.level.value == name(l) ?> selected<?cs /if ?>><?cs var:l ?></option><?cs /each ?>
    </select>
    <?cs call:field_error(Form.console.level.error) ?></label>
  <label><?cs var:Lang.console.text ?>
    <input name="q" id="filter-text" maxlength="100" value="<?cs var:Form.console.q.value ?>">
    <?cs call:field_error(Form.console.q.error) ?></label>
  <label><?cs var:Lang.console.lines ?>
    <input name="lines" id="filter-lines" inputmode="numeric" size="6" value="<?cs var:Console.Lines ?>">
    <?cs call:field_error(Form.console.lines.error) ?></label>
  <button type="submit"><?cs var:Lang.console.show ?></button>
  <a id="download" href="/console.txt?level=<?cs var:url_escape(Form.console.level.value) ?>&amp;q=<?cs var:url_escape(Form.console.q.value) ?>&amp;lines=<?cs var:Console.Lines ?>"><?cs var:Lang.console.download ?></a>
</form>
<?cs if:Console.Error ?>
<p class="warn-box" id="log-error" data-error="<?cs var:Console.Error ?>"><?cs var:Lang.console.errors[Console.Error] ?> (<span id="log-errno"><?cs var:Console.ErrorText ?></span>)</p>
<?cs else ?>
<p class="muted" id="log-summary"><?cs var:Console.Count ?> <?cs var:Lang.console.shown ?><?cs if:Console.Stop == "scan_limit" || Console.Stop == "long_line" ?> · <span id="log-stop"><?cs var:Lang.console.stops[Console.Stop] ?></span><?cs /if ?></p>
<p class="follow" hidden id="follow-box"><button type="button" id="follow" data-start="<?cs var:Lang.console.follow ?>" data-stop="<?cs var:Lang.console.stop_follow ?>"><?cs var:Lang.console.follow ?></button> <span id="follow-state" class="muted" data-on="<?cs var:Lang.console.following ?>"></span></p>
<ol class="log" id="log-lines" data-end="<?cs var:Console.End ?>" data-level="<?cs var:Form.console.level.value ?>" data-q="<?cs var:Form.console.q.value ?>" data-max="<?cs var:Console.Lines ?>"><?cs each:l = Console.Log ?>
<li class="log-<?cs var:l.Level ?>"><?cs var:l.Text ?></li><?cs /each ?>
</ol>
<?cs if:Console.Count == 0 ?><p class="muted" id="log-empty"><?cs var:Lang.console.empty ?></p><?cs /if ?>
<?cs /if ?>
</section>
<?cs include:"inc/foot.cs" ?>
