<?cs # The call statistics: the period chosen from a fixed list, the totals, calls per day, the busiest hours of the week, calls by hour of the day and each extension's calls. Every chart's geometry comes from the page (page_stats.c): this only places the numbers; each chart is an image with a title and a table of the same numbers. ?>
<?cs set:Page.Title = Lang.stats.title ?>
<?cs include:"inc/head.cs" ?>
<div class="title-row">
  <h1><?cs var:Lang.stats.title ?></h1>
  <nav class="periods" aria-label="<?cs var:Lang.stats.period ?>" id="periods">
    <?cs each:per = Stats.Periods ?><a href="/stats?days=<?cs var:per.Days ?>" data-days="<?cs var:per.Days ?>"<?cs if:per.Current ?> aria-current="page"<?cs /if ?>><?cs var:Lang.stats.last ?> <?cs var:per.Days ?> <?cs var:Lang.stats.days ?></a><?cs /each ?>
  </nav>
</div>
<p class="period-range" id="period-range"><?cs var:Stats.From ?> – <?cs var:Stats.To ?></p>

<section class="tiles" id="totals">
  <div class="tile"><span class="label"><?cs var:Lang.stats.calls ?></span><span class="big" id="total-calls"><?cs var:Stats.Total.Calls ?></span></div>
  <div class="tile"><span class="label"><?cs var:Lang.stats.answered ?></span><span class="big" id="total-answered"><?cs var:Stats.Total.Answered ?></span></div>
  <div class="tile"><span class="label"><?cs var:Lang.stats.missed ?></span><span class="big" id="total-missed"><?cs var:Stats.Total.Missed ?></span></div>
  <div class="tile"><span class="label"><?cs var:Lang.stats.talk_total ?></span><span class="big" id="total-talk" data-seconds="<?cs var:Stats.Total.TalkSeconds ?>"><?cs var:Stats.Total.Talk ?></span></div>
  <div class="tile"><span class="label"><?cs var:Lang.stats.talk_avg ?></span><span class="big" id="avg-talk"><?cs var:Stats.Total.AvgTalk ?></span></div>
</section>

<section class="chart" id="chart-days">
  <h2 id="days-title"><?cs var:Lang.stats.per_day ?></h2>
  <p class="legend"><svg class="swatch-svg" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" fill="<?cs var:Stats.Colour.Answered ?>"/></svg> <?cs var:Lang.stats.answered ?> <svg class="swatch-svg" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" fill="<?cs var:Stats.Colour.Missed ?>"/></svg> <?cs var:Lang.stats.missed ?> <svg class="swatch-svg" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" fill="<?cs var:Stats.Colour.Other ?>"/></svg> <?cs var:Lang.stats.other ?></p>
  <svg viewBox="0 0 760 230" role="img" aria-labelledby="days-svg-title" class="chart-svg">
    <title id="days-svg-title"><?cs var:Lang.stats.per_day ?>, <?cs var:Stats.From ?> – <?cs var:Stats.To ?></title>
    <?cs each:t = Stats.DayChart.Ticks ?><line x1="40" x2="750" y1="<?cs var:t.Y ?>" y2="<?cs var:t.Y ?>" stroke="#cbd2d9" stroke-width="1"/><text x="34" y="<?cs var:t.Y ?>" dy="4" text-anchor="end" font-size="11" fill="#52606d"><?cs var:t.Value ?></text><?cs /each ?>
    <?cs each:d = Stats.Days ?><g class="bar" data-date="<?cs var:d.Date ?>" data-answered="<?cs var:d.Answered ?>" data-missed="<?cs var:d.Missed ?>"><title><?cs var:d.Date ?>: <?cs var:d.Answered ?> <?cs var:Lang.stats.answered_lc ?>, <?cs var:d.Missed ?> <?cs var:Lang.stats.missed_lc ?>, <?cs var:d.Other ?> <?cs var:Lang.stats.other_lc ?></title><rect x="<?cs var:d.X ?>" y="<?cs var:d.AY ?>" width="<?cs var:d.W ?>" height="<?cs var:d.AH ?>" fill="<?cs var:Stats.Colour.Answered ?>"/><rect x="<?cs var:d.X ?>" y="<?cs var:d.MY ?>" width="<?cs var:d.W ?>" height="<?cs var:d.MH ?>" fill="<?cs var:Stats.Colour.Missed ?>"/><rect x="<?cs var:d.X ?>" y="<?cs var:d.OY ?>" width="<?cs var:d.W ?>" height="<?cs var:d.OH ?>" fill="<?cs var:Stats.Colour.Other ?>"/></g><?cs /each ?>
    <?cs each:l = Stats.DayChart.Labels ?><text x="<?cs var:l.X ?>" y="218" text-anchor="middle" font-size="11" fill="#52606d"><?cs var:l.Text ?></text><?cs /each ?>
  </svg>
  <details>
    <summary><?cs var:Lang.stats.show_table ?></summary>
    <table class="list" id="days-table">
      <thead><tr><th><?cs var:Lang.stats.date ?></th><th><?cs var:Lang.stats.calls ?></th><th><?cs var:Lang.stats.answered ?></th><th><?cs var:Lang.stats.missed ?></th><th><?cs var:Lang.stats.other ?></th><th><?cs var:Lang.stats.talk ?></th></tr></thead>
      <tbody><?cs each:d = Stats.Days ?><tr data-date="<?cs var:d.Date ?>"><td><?cs var:d.Date ?></td><td class="calls"><?cs var:d.Calls ?></td><td class="answered"><?cs var:d.Answered ?></td><td class="missed"><?cs var:d.Missed ?></td><td><?cs var:d.Other ?></td><td><?cs var:d.Talk ?></td></tr><?cs /each ?></tbody>
    </table>
  </details>
</section>

<section class="chart" id="chart-week">
  <h2><?cs var:Lang.stats.week ?></h2>
  <p class="note"><?cs var:Lang.stats.week_note ?> (<?cs var:Stats.Heat.From ?> – <?cs var:Stats.Heat.To ?>)</p>
  <svg viewBox="0 0 740 190" role="img" aria-labelledby="week-svg-title" class="chart-svg">
    <title id="week-svg-title"><?cs var:Lang.stats.week ?>, <?cs var:Stats.Heat.From ?> – <?cs var:Stats.Heat.To ?></title>
    <?cs each:h = Stats.Heat.Hours ?><text x="<?cs var:h.X ?>" y="12" text-anchor="middle" font-size="10" fill="#52606d"><?cs var:h.Hour ?>h</text><?cs /each ?>
    <?cs each:r = Stats.Heat.Rows ?><text x="34" y="<?cs var:r.LabelY ?>" text-anchor="end" font-size="11" fill="#52606d"><?cs var:Lang.stats.dow_short[r.Dow] ?></text><?cs each:c = r.Cells ?><rect class="cell" x="<?cs var:c.X ?>" y="<?cs var:c.Y ?>" width="<?cs var:c.W ?>" height="<?cs var:c.H ?>" fill="<?cs var:c.Fill ?>" data-calls="<?cs var:c.Calls ?>"><title><?cs var:Lang.stats.dow[r.Dow] ?> <?cs var:c.Hour ?>:00: <?cs var:c.Calls ?> <?cs var:Lang.stats.calls_lc ?></title></rect><?cs /each ?><?cs /each ?>
  </svg>
  <p class="legend"><?cs var:Lang.stats.fewer ?> <?cs each:b = Stats.Heat.Legend ?><svg class="swatch-svg" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" fill="<?cs var:b.Fill ?>"/></svg><?cs /each ?> <?cs var:Lang.stats.more ?> (<?cs var:Lang.stats.max ?> <span id="heat-max"><?cs var:Stats.Heat.Max ?></span>)</p>
  <details>
    <summary><?cs var:Lang.stats.show_table ?></summary>
    <table class="list heat-table" id="week-table">
      <thead><tr><th></th><?cs loop:h = 0, 23, 1 ?><th><?cs var:h ?></th><?cs /loop ?></tr></thead>
      <tbody><?cs each:r = Stats.Heat.Rows ?><tr><th><?cs var:Lang.stats.dow_short[r.Dow] ?></th><?cs each:c = r.Cells ?><td><?cs var:c.Calls ?></td><?cs /each ?></tr><?cs /each ?></tbody>
    </table>
  </details>
</section>

<section class="chart" id="chart-hours">
  <h2><?cs var:Lang.stats.by_hour ?></h2>
  <p class="note"><?cs var:Lang.stats.by_hour_note ?></p>
  <svg viewBox="0 0 760 190" role="img" aria-labelledby="hours-svg-title" class="chart-svg">
    <title id="hours-svg-title"><?cs var:Lang.stats.by_hour ?>, <?cs var:Stats.From ?> – <?cs var:Stats.To ?></title>
    <?cs each:t = Stats.HourChart.Ticks ?><line x1="40" x2="750" y1="<?cs var:t.Y ?>" y2="<?cs var:t.Y ?>" stroke="#cbd2d9" stroke-width="1"/><text x="34" y="<?cs var:t.Y ?>" dy="4" text-anchor="end" font-size="11" fill="#52606d"><?cs var:t.Value ?></text><?cs /each ?>
    <?cs each:h = Stats.Hours ?><rect class="bar" x="<?cs var:h.X ?>" y="<?cs var:h.Y ?>" width="<?cs var:h.W ?>" height="<?cs var:h.H ?>" fill="<?cs var:Stats.Colour.Single ?>"><title><?cs var:h.Hour ?>:00: <?cs var:h.Avg ?></title></rect><text x="<?cs var:h.LabelX ?>" y="178" text-anchor="middle" font-size="10" fill="#52606d"><?cs var:h.Hour ?></text><?cs /each ?>
  </svg>
  <details>
    <summary><?cs var:Lang.stats.show_table ?></summary>
    <table class="list" id="hours-table">
      <thead><tr><th><?cs var:Lang.stats.hour ?></th><th><?cs var:Lang.stats.avg_calls ?></th></tr></thead>
      <tbody><?cs each:h = Stats.Hours ?><tr><td><?cs var:h.Hour ?>:00</td><td><?cs var:h.Avg ?></td></tr><?cs /each ?></tbody>
    </table>
  </details>
</section>

<section id="by-extension">
  <h2><?cs var:Lang.stats.by_ext ?></h2>
  <?cs if:Stats.ExtCount == 0 ?>
  <p id="no-ext"><?cs var:Lang.stats.no_ext ?></p>
  <?cs else ?>
  <table class="list" id="ext-table">
    <thead><tr><th><?cs var:Lang.stats.ext ?></th><th><?cs var:Lang.stats.made ?></th><th><?cs var:Lang.stats.received ?></th><th><?cs var:Lang.stats.missed ?></th><th><?cs var:Lang.stats.talk ?></th></tr></thead>
    <tbody><?cs each:e = Stats.Ext ?><tr data-ext="<?cs var:e.Ext ?>"><td><a href="/calls?ext=<?cs var:url_escape(e.Ext) ?>"><?cs var:e.Ext ?></a></td><td class="made"><?cs var:e.Made ?></td><td class="received"><?cs var:e.Received ?></td><td class="missed"><?cs var:e.Missed ?></td><td class="talk"><?cs var:e.Talk ?></td></tr><?cs /each ?></tbody>
  </table>
  <?cs /if ?>
</section>
<?cs include:"inc/foot.cs" ?>
