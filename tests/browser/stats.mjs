// Browser flow for the statistics and the dashboard: the owner opens Statistics from the menu (30 days by default:
// three SVG charts, each an image with a title; 30 day bars; totals as expected), opens a chart's table, switches
// to 7 and 90 days with the period links, reads the page in Spanish, and sees the dashboard's tiles on the home
// page with the expected counts, each a link to its page. No console errors (a CSP violation would be one).
// Screenshots: tests/out/stats-*.png.
// Usage: node stats.mjs BASE_URL OWNER_NAME OWNER_PASSWORD EXPECTED_JSON
import assert from "node:assert/strict";
import { launch, out, watchedPage } from "./browser.mjs";

const [base, name, password, expectedJson] = process.argv.slice(2);
const want = JSON.parse(expectedJson);
const browser = await launch();
const errors = [];
const shot = (page, n) => page.screenshot({ path: out + `stats-${n}.png`, fullPage: true });
const go = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);
try {
  const page = await watchedPage(browser, errors);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(base + "/login");
  await page.fill("input[name=username]", name);
  await page.fill("input[name=password]", password);
  await go(page, "button[type=submit]");

  // The dashboard first: the tiles and their counts.
  assert.equal(await page.textContent("#calls-today"), String(want.today));
  assert.equal(await page.textContent("#missed-today"), String(want.missed_today));
  assert.equal(await page.textContent("#calls-month"), String(want.month));
  assert.equal(await page.textContent("#registered-total"), String(want.phones));
  assert.equal(await page.textContent("#pbx-version"), "22.10.1");
  assert.ok(await page.isVisible("#tile-live"));
  await shot(page, "01-dashboard");

  // Statistics from the menu: 30 days.
  await go(page, "nav >> text=Statistics");
  assert.equal(new URL(page.url()).pathname, "/stats");
  assert.equal(await page.locator('svg[role="img"]').count(), 3);
  for (const id of ["days-svg-title", "week-svg-title", "hours-svg-title"])
    assert.ok((await page.textContent(`#${id}`)).length > 10, id);
  assert.equal(await page.locator("#chart-days g.bar").count(), 30);
  assert.equal(await page.locator("#chart-week rect.cell").count(), 7 * 24);
  assert.equal(await page.locator("#chart-hours rect.bar").count(), 24);
  assert.equal(await page.textContent("#total-calls"), String(want.calls30));
  // The charts are drawn: the tallest day's bars reach up the plot, and have a size on screen.
  const box = await page.locator("#chart-days svg.chart-svg").boundingBox();
  assert.ok(box.width > 600 && box.height > 150, JSON.stringify(box));
  // The table behind the chart opens.
  assert.equal(await page.isVisible("#days-table"), false);
  await page.click("#chart-days summary");
  assert.equal(await page.isVisible("#days-table"), true);
  assert.equal(await page.locator("#days-table tbody tr").count(), 30);
  await shot(page, "02-stats-30");

  // 7 and 90 days.
  await go(page, '#periods a[data-days="7"]');
  assert.equal(new URL(page.url()).search, "?days=7");
  assert.equal(await page.getAttribute('#periods a[data-days="7"]', "aria-current"), "page");
  assert.equal(await page.locator("#chart-days g.bar").count(), 7);
  assert.equal(await page.textContent("#total-calls"), String(want.calls7));
  await shot(page, "03-stats-7");
  await go(page, '#periods a[data-days="90"]');
  assert.equal(await page.locator("#chart-days g.bar").count(), 90);
  assert.equal(await page.textContent("#total-calls"), String(want.calls90));
  await shot(page, "04-stats-90");

  // In Spanish.
  await go(page, '#language-form button[value="es"]');
  assert.equal(await page.textContent("h1"), "Estadísticas");
  assert.match(await page.textContent("#days-svg-title"), /^Llamadas por día/);
  await shot(page, "05-stats-es");

  // On a phone's width the charts scale down with the page.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + "/stats?days=30");
  const narrow = await page.locator("#chart-days svg.chart-svg").boundingBox();
  assert.ok(narrow.width <= 390, JSON.stringify(narrow));
  await shot(page, "06-stats-narrow");
  await page.goto(base + "/");
  await shot(page, "07-dashboard-narrow");

  assert.deepEqual(errors, []);
  console.log("browser stats flow: ok");
} finally {
  await browser.close();
}
