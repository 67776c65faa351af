// Browser flow for phones in bulk (issue 13): an integrator opens Phones, then "Import CSV"; the template links are
// there (and one downloads a CSV). A file of eight phones with a bad MAC on line 3 is checked: the dry run lists
// that problem by line and column and offers no import. The fixed file is checked: eight new phones and the
// button to import them. Imported, the progress page shows a bar and, while the test PBX answers slowly (a delay
// on UpdateConfig through its control channel), comes back by itself (a meta refresh, no script) until every
// phone is live; the phones list then has all eight. No console errors (a CSP violation would be one).
// Screenshots: tests/out/import-*.png.
// Usage: node import.mjs BASE_URL INTEGRATOR_NAME INTEGRATOR_PASSWORD PBX_CONTROL_PORT
import assert from "node:assert/strict";
import { launch, out, pbxControl, watchedPage } from "./browser.mjs";

const [base, adminName, adminPassword, controlPort] = process.argv.slice(2);
const browser = await launch();
const errors = [];
const shot = (page, n) => page.screenshot({ path: out + `import-${n}.png`, fullPage: true });
const go = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);
const control = (request) => pbxControl(controlPort, request);

// Extensions 510-517 (inside the default 100-899; 600 is the test PBX's own dialplan). Line 1 is the header,
// so the phone at index i is on line i + 2.
const PHONES = [
  ["510", "Recepción", "yealink-t46u", "00:15:65:51:00:01"],
  ["511", "Ventas - Ana", "snom-d715", "00:04:13:51:10:01"],
  ["512", "Almacén", "polycom-vvx250", "00:04:F2:51:20:01"],
  ["513", "Dirección", "grandstream-gxp2160", "00:0B:82:51:30:01"],
  ["514", "Sala de reuniones", "fanvil-x4u", "0C:38:3E:51:40:01"],
  ["515", "Soporte 1", "yealink-t46u", "00:15:65:51:50:01"],
  ["516", "Soporte 2", "yealink-t46u", "00:15:65:51:60:01"],
  ["517", "Contabilidad", "polycom-vvx450", "00:04:F2:51:70:01"],
];
const csv = (phones) => "extension,name,model,mac,class\r\n" +
  phones.map((p) => `${p.join(",")},national\r\n`).join("");
const bad = PHONES.map((p, i) => (i === 1 ? [p[0], p[1], p[2], "00:04:13:51:10"] : p));   // line 3: 10 digits

try {
  const page = await watchedPage(browser, errors);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(base + "/login");
  await page.fill("input[name=username]", adminName);
  await page.fill("input[name=password]", adminPassword);
  await go(page, "button[type=submit]");

  // Phones, then "Import CSV".
  await go(page, "nav >> text=Phones");
  assert.equal(new URL(page.url()).pathname, "/phones");
  assert.equal((await page.textContent("#import-phones")).trim(), "Import CSV");
  await go(page, "#import-phones");
  assert.equal(new URL(page.url()).pathname, "/phones/import");

  // The templates: empty and sample, each in English and Spanish; the English sample is a CSV of three phones.
  const links = await page.$$eval("#import-templates a", (as) => as.map((a) => a.getAttribute("href")));
  assert.deepEqual(links, ["/phones/import/template.csv?lang=en", "/phones/import/template.csv?lang=es",
                           "/phones/import/template.csv?lang=en&sample=1", "/phones/import/template.csv?lang=es&sample=1"]);
  const sample = await page.request.get(base + links[2]);
  assert.equal(sample.status(), 200);
  assert.match(sample.headers()["content-type"], /^text\/csv/);
  const sampleLines = (await sample.text()).trim().split("\r\n");
  assert.equal(sampleLines[0], "extension,name,model,mac,class");
  assert.equal(sampleLines.length, 4, sampleLines.join("|"));

  // The file with a bad MAC on line 3: the dry run names line and column, and offers no import.
  await page.setInputFiles("#import-form input[name=file]",
                           { name: "phones.csv", mimeType: "text/csv", buffer: Buffer.from(csv(bad)) });
  await shot(page, "01-form");
  const [checked] = await Promise.all([page.waitForNavigation(), page.click("#import-check")]);
  assert.equal(checked.status(), 422);
  assert.equal(await page.textContent("h1"), "Import: dry run");
  const problems = await page.$$eval("#import-problems tbody tr",
                                     (rs) => rs.map((r) => [r.dataset.line, r.dataset.column, r.dataset.key]));
  assert.equal(problems.length, 1, JSON.stringify(problems));
  const [line, column] = problems[0];
  assert.deepEqual([line, column], ["3", "mac"]);
  const problem = page.locator('#import-problems tr[data-line="3"][data-column="mac"]');
  assert.match(await problem.textContent(), /exactly 12 hexadecimal digits/);
  assert.match(await page.textContent("#import-problems-summary"), /Problems found:\s*1.*Nothing was imported/s);
  assert.equal(await page.locator("#import-confirm").count(), 0);
  assert.equal(await page.locator("#import-again").count(), 1);
  await shot(page, "02-problem");

  // The fixed file: eight new phones, and the button to import them.
  await go(page, "#import-again");
  await page.setInputFiles("#import-form input[name=file]",
                           { name: "phones-fixed.csv", mimeType: "text/csv", buffer: Buffer.from(csv(PHONES)) });
  const [fixed] = await Promise.all([page.waitForNavigation(), page.click("#import-check")]);
  assert.equal(fixed.status(), 200);
  assert.equal(await page.locator("#import-problems").count(), 0);
  assert.equal(await page.textContent("#count-new"), "8");
  assert.equal(await page.textContent("#count-update"), "0");
  assert.equal(await page.textContent("#count-same"), "0");
  assert.match(await page.textContent("#import-file"), /phones-fixed\.csv/);
  const listed = await page.$$eval("#import-rows tbody tr", (rs) => rs.map((r) => [r.dataset.line, r.dataset.kind,
                                   r.cells[1].textContent, r.cells[2].textContent]));
  assert.deepEqual(listed, PHONES.map((p, i) => [String(i + 2), "new", p[0], p[1]]));
  assert.equal(await page.isVisible("#import-confirm"), true);
  await shot(page, "03-ready");

  // Imported, with the PBX slow (every UpdateConfig answered after 400 ms): the progress page works on, with its
  // bar and a refresh in <head> (not in <noscript>: it needs no script), and comes back by itself.
  await control({ cmd: "delay", ms: 400, action: "UpdateConfig" });
  let loads = 0;
  page.on("load", () => loads++);
  await go(page, "#import-confirm");
  const progressUrl = page.url();
  assert.match(new URL(progressUrl).pathname, /^\/phones\/import\/\d+$/);
  assert.equal(await page.textContent("h1"), "Import: applying");
  assert.equal(await page.locator("progress#import-bar").count(), 1);
  assert.equal(await page.getAttribute("#import-bar", "max"), "8");
  assert.equal(await page.textContent("#count-total"), "8");
  const live0 = Number(await page.textContent("#count-live"));
  assert.ok(live0 < 8, `already ${live0} live`);
  assert.equal(await page.getAttribute("#import-bar", "value"), String(live0));
  assert.equal(await page.getAttribute('head > meta[http-equiv="refresh"]', "content"), "2");
  assert.match(await page.textContent("#import-state"), /this page refreshes by itself/);
  await shot(page, "04-applying");
  const loadsBefore = loads;

  // Every phone live: the page got there by itself (no navigation of ours since), and stops refreshing.
  await page.locator("#import-state", { hasText: "every phone is live" }).waitFor({ timeout: 60000 });
  await control({ cmd: "delay", ms: 0 });
  const reloads = loads - loadsBefore;
  assert.ok(reloads >= 1, "the page never refreshed itself");
  assert.equal(page.url(), progressUrl);
  assert.equal(await page.textContent("#count-live"), "8");
  assert.equal(await page.textContent("#count-total"), "8");
  assert.equal(await page.getAttribute("#import-bar", "value"), "8");
  assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0);
  assert.equal(await page.locator("#import-waiting").count(), 0);
  assert.match(await page.textContent("#import-state"), /Done: every phone is live\./);
  assert.equal(await page.textContent("h1"), "Import: done");
  for (const id of ["#count-loading", "#count-pending", "#count-blocked"])
    assert.equal(await page.textContent(id), "0", id);
  await shot(page, "05-done");

  // The phones list has all eight, as the file said.
  await go(page, "#to-phones");
  assert.equal(new URL(page.url()).pathname, "/phones");
  for (const [ext, name, , mac] of PHONES) {
    const row = page.locator(`#phones tr[data-extension="${ext}"]`);
    assert.equal(await row.count(), 1, ext);
    assert.equal((await row.locator("td.name").textContent()).trim(), name);
    assert.equal((await row.locator("td.mac").textContent()).trim(), mac.toUpperCase());
  }
  assert.equal(await page.locator("#phones tbody tr").count(), 8);
  assert.equal(await page.locator("#pending-summary").count(), 0);
  await shot(page, "06-phones");

  assert.deepEqual(errors, []);
  console.log(`browser import flow: ok (progress page first at ${live0}/8, refreshed itself ${reloads} times)`);
} finally {
  await browser.close();
}
