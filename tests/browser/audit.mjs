// Browser flow for the audit trail: an integrator adds a phone and changes its name, opens the audit trail from
// the navigation, sees the change at the top (who, from where, "name: old -> new", the AMI actions, "Applied"),
// filters by text and by kind (the GET form), and reads it in Spanish. Screenshots go to tests/out/audit-*.png.
// Usage: node audit.mjs BASE_URL INTEGRATOR_NAME INTEGRATOR_PASSWORD
import assert from "node:assert/strict";
import { launch, out, watchedPage } from "./browser.mjs";

const [base, adminName, adminPassword] = process.argv.slice(2);
const browser = await launch();
const errors = [];
try {
  const page = await watchedPage(browser, errors);

  await page.goto(base + "/login");
  await page.fill("input[name=username]", adminName);
  await page.fill("input[name=password]", adminPassword);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);

  // A phone added, then edited through the form.
  await page.goto(base + "/phones/new");
  await page.fill("input[name=extension]", "215");
  await page.fill("input[name=name]", "Recepción");
  await page.selectOption("select[name=model]", "yealink-t46u");
  await page.fill("input[name=mac]", "00:15:65:21:50:01");
  await Promise.all([page.waitForNavigation(), page.click("#phone-form button[type=submit]")]);
  assert.match(page.url(), /\/phones\?done=saved$/);
  await Promise.all([page.waitForNavigation(), page.click('tr[data-extension="215"] td.ext a')]);
  const id = page.url().match(/\/phones\/(\d+)$/)[1];
  const first = Math.floor((Number(id) - 1) / 4) * 4 + 1;   // its group of files (src/pbx/pbx.h)
  await page.goto(`${base}/phones/${id}/edit`);
  await page.fill("input[name=name]", "Recepción 2");
  await Promise.all([page.waitForNavigation(), page.click("#phone-form button[type=submit]")]);
  assert.match(page.url(), /\/phones\?done=saved$/);

  // The trail, from the navigation: the edit is the newest row.
  await Promise.all([page.waitForNavigation(), page.click("nav >> text=Audit trail")]);
  assert.equal(page.url(), base + "/audit");
  const top = page.locator("#audit tbody tr").first();
  assert.equal(await top.getAttribute("data-action"), "phone.update");
  assert.match(await top.locator("td.action").textContent(), /Phone changed\s*phone 215/);
  assert.equal((await top.locator("td.user .name").textContent()).trim(), adminName);
  assert.equal((await top.locator("td.user .address").textContent()).trim(), "127.0.0.1");
  assert.equal((await top.locator("td.changes").textContent()).trim(), "name: Recepción -> Recepción 2");
  assert.match(await top.locator("td.ami").textContent(), new RegExp(`UpdateConfig centralita/pjsip-phones-${first}-${first + 3}\\.conf`));
  assert.equal(await top.locator("td.outcome").getAttribute("data-outcome"), "applied");
  assert.match(await top.locator("td.outcome").textContent(), /Applied/);
  await page.screenshot({ path: out + "audit-01-trail.png", fullPage: true });

  // Filters: text, then kind; the form keeps what was asked.
  await page.fill("#audit-filter input[name=q]", "Recepción 2");
  await Promise.all([page.waitForNavigation(), page.click("#apply-filter")]);
  assert.deepEqual(await page.$$eval("#audit tbody tr", (rs) => rs.map((r) => r.dataset.action)), ["phone.update"]);
  assert.equal(await page.inputValue("#audit-filter input[name=q]"), "Recepción 2");
  await page.screenshot({ path: out + "audit-02-filtered.png", fullPage: true });
  await page.fill("#audit-filter input[name=q]", "");
  await page.selectOption("#audit-filter select[name=kind]", "route");
  await Promise.all([page.waitForNavigation(), page.click("#apply-filter")]);
  const actions = await page.$$eval("#audit tbody tr", (rs) => rs.map((r) => r.dataset.action));
  assert.ok(actions.every((a) => a.startsWith("route.")), actions.join(","));
  await Promise.all([page.waitForNavigation(), page.click("#clear-filter")]);
  assert.equal(page.url(), base + "/audit");

  // In Spanish.
  await Promise.all([page.waitForNavigation(), page.click("#language-form button")]);
  assert.equal(await page.textContent("h1"), "Registro de auditoría");
  assert.match(await page.locator("#audit tbody tr").first().locator("td.action").textContent(), /Teléfono modificado/);
  await page.screenshot({ path: out + "audit-03-spanish.png", fullPage: true });

  assert.deepEqual(errors, []);
  console.log("browser audit flow: ok");
} finally {
  await browser.close();
}
