// Browser flow for the call history: the owner opens Calls from the menu (newest first, 50 a page, the total),
// filters by extension, direction and result with the form (no JavaScript needed: a GET form), walks to the older
// page and back, sorts by duration from the column header, gets an inline error for a bad extension, and
// downloads the CSV export of the filtered set (formula cells neutralised). Screenshots: tests/out/calls-*.png.
// Usage: node calls.mjs BASE_URL OWNER_NAME OWNER_PASSWORD
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launch, out, watchedPage } from "./browser.mjs";

const [base, name, password] = process.argv.slice(2);
const browser = await launch();
const errors = [];
const shot = (page, n) => page.screenshot({ path: out + `calls-${n}.png`, fullPage: true });
const go = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);
const ids = (page) => page.$$eval("#calls tbody tr", (rs) => rs.map((r) => Number(r.dataset.id)));
try {
  const page = await watchedPage(browser, errors);
  await page.goto(base + "/login");
  await page.fill("input[name=username]", name);
  await page.fill("input[name=password]", password);
  await go(page, "button[type=submit]");

  // The history from the menu: newest first, one page of 50, the total of 60.
  await go(page, "nav >> text=Calls");
  assert.equal(page.url(), base + "/calls");
  assert.equal(await page.getAttribute("#calls-total", "data-total"), "60");
  const first = await ids(page);
  assert.equal(first.length, 50);
  assert.deepEqual(first.slice(0, 3), [60, 59, 58]);
  assert.equal(await page.textContent('tr[data-id="60"] td.time'), "2026-03-12 17:50:00");
  assert.equal(await page.locator("#newer").count(), 0);
  await shot(page, "01-history");

  // Filter: extension 201, inbound, answered, on 12 March.
  await page.fill("input[name=from]", "2026-03-12");
  await page.fill("input[name=to]", "2026-03-12");
  await page.fill("input[name=ext]", "201");
  await page.selectOption("select[name=direction]", "inbound");
  await page.selectOption("select[name=disposition]", "answered");
  await go(page, "#apply-filter");
  const url = new URL(page.url());
  assert.equal(url.pathname, "/calls");
  assert.equal(url.searchParams.get("ext"), "201");
  const want = [];
  for (let i = 59; i >= 0; i--) if (i % 2 === 0 && i % 5 !== 4 && i % 3 !== 2) want.push(i + 1);
  assert.deepEqual(await ids(page), want);
  assert.equal(await page.getAttribute("#calls-total", "data-total"), String(want.length));
  for (const d of await page.$$eval("#calls td.disposition", (ts) => ts.map((t) => t.textContent))) assert.equal(d, "Answered");
  assert.equal(await page.inputValue("select[name=direction]"), "inbound");
  await shot(page, "02-filtered");

  // Pages: older, then back to newer; the filters travel with the links.
  await go(page, "#clear-filter");
  await go(page, "#older");
  assert.deepEqual(await ids(page), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.equal(await page.locator("#older").count(), 0);
  assert.match(await page.textContent('tr[data-id="8"] td.from'), /=SUM\(1\+1\)/);   // shown as text
  await shot(page, "03-older");
  await go(page, "#newer");
  assert.deepEqual(await ids(page), first);

  // Sort by duration from its header: longest first, then shortest first.
  await go(page, 'th a[data-sort="duration"]');
  assert.equal(await page.getAttribute('th:has(a[data-sort="duration"])', "aria-sort"), "descending");
  assert.deepEqual((await ids(page)).slice(0, 3), [60, 59, 58]);
  await go(page, 'th a[data-sort="duration"]');
  assert.equal(await page.getAttribute('th:has(a[data-sort="duration"])', "aria-sort"), "ascending");
  assert.deepEqual((await ids(page)).slice(0, 3), [1, 2, 3]);
  assert.equal(await page.textContent('tr[data-id="1"] td.duration'), "0:05");
  await shot(page, "04-sorted");

  // A wrong extension: 422, the message under the field, the value kept, no table.
  await page.fill("input[name=ext]", "20x");
  const [bad] = await Promise.all([page.waitForNavigation(), page.click("#apply-filter")]);
  assert.equal(bad.status(), 422);
  const extLabel = page.locator("label", { has: page.locator("input[name=ext]") });
  assert.equal(await extLabel.locator(".field-error").textContent(), "An extension has digits only.");
  assert.equal(await page.inputValue("input[name=ext]"), "20x");
  assert.equal(await page.locator("#calls").count(), 0);
  await shot(page, "05-bad-filter");

  // The export of a filtered set, as a download.
  await page.goto(base + "/calls?ext=202&direction=inbound");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
  assert.match(download.suggestedFilename(), /^calls-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
  const lines = text.trimEnd().split("\r\n");
  assert.equal(lines[0].split(",")[0], "start");
  assert.equal(lines.length, 1 + 30);
  assert.ok(lines.some((l) => l.includes(",'=SUM(1+1),")), "the formula name is neutralised");
  assert.ok(!lines.some((l) => l.includes(",=SUM")));

  assert.deepEqual(errors, []);
  console.log("browser calls flow: ok");
} finally {
  await browser.close();
}
