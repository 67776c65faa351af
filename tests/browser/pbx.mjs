// Browser flow for the PBX status and the drift check: an integrator opens PBX from the menu (answering, with
// Asterisk's version); the test PBX stops listening and a phone saved meanwhile is listed as waiting with its
// error; the PBX comes back, "Retry now" applies it; then a phone's file is edited behind Centralita's back, the
// drift check lists it and "Re-apply" repairs it. No console errors. Screenshots: tests/out/pbx-*.png.
// Usage: node pbx.mjs BASE_URL INTEGRATOR_NAME INTEGRATOR_PASSWORD PBX_CONTROL_PORT PBX_DIR
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { launch, out, pbxControl, watchedPage } from "./browser.mjs";

const [base, name, password, controlPort, pbxDir] = process.argv.slice(2);
const browser = await launch();
const errors = [];
const shot = (page, n) => page.screenshot({ path: out + `pbx-${n}.png`, fullPage: true });
const go = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);

const control = (request) => pbxControl(controlPort, request);

async function addPhone(page, ext, who, mac) {
  await page.goto(base + "/phones/new");
  await page.fill("input[name=extension]", ext);
  await page.fill("input[name=name]", who);
  await page.selectOption("select[name=model]", "yealink-t46u");
  await page.fill("input[name=mac]", mac);
  await go(page, "#phone-form button[type=submit]");
}

try {
  const page = await watchedPage(browser, errors);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(base + "/login");
  await page.fill("input[name=username]", name);
  await page.fill("input[name=password]", password);
  await go(page, "button[type=submit]");

  await go(page, 'nav a[href="/pbx"]');
  assert.equal(await page.textContent("#pbx-now"), "Answering");
  assert.equal(await page.textContent("#pbx-version"), "22.10.1");
  assert.equal(await page.isVisible("#pending-none"), true);
  await shot(page, "01-answering");

  // The PBX goes away; a phone saved meanwhile waits, with its reason.
  await control({ cmd: "stop_listening", kill: true });
  await addPhone(page, "741", "Espera", "00:15:65:74:10:01");
  assert.match(page.url(), /done=saved_pending/);
  await page.goto(base + "/pbx");
  assert.equal(await page.textContent("#pbx-now"), "Unreachable");
  assert.equal(await page.locator("#pending tr.pending-phone").count(), 1);
  assert.match(await page.textContent("#pending tr.pending-phone"), /741/);
  await shot(page, "02-unreachable-pending");

  // Back: retry now.
  await control({ cmd: "start_listening" });
  await go(page, "#retry-form button[type=submit]");
  assert.match(page.url(), /\/pbx\?done=retried/);
  for (let i = 0; i < 50 && (await page.locator("#pending-none").count()) === 0; i++) {
    await page.waitForTimeout(200);
    await page.goto(base + "/pbx");
  }
  assert.equal(await page.isVisible("#pending-none"), true);
  assert.equal(await page.textContent("#pbx-now"), "Answering");
  await shot(page, "03-retried");

  // Drift: 741's file edited by hand on the PBX's disk.
  const dir = pbxDir + "/centralita";
  const file = readdirSync(dir).map((f) => dir + "/" + f)
    .find((f) => /pjsip-phones-\d+-\d+\.conf$/.test(f) && readFileSync(f, "utf8").includes("[741]"));
  const original = readFileSync(file, "utf8");
  writeFileSync(file, original.replace("[741]\n", "[741]\nallow=gsm\n"));
  await go(page, "#drift-link");
  assert.equal(await page.locator("#drift tr.drift-phone").count(), 1);
  assert.match(await page.textContent("#drift tr.drift-phone"), /741/);
  await shot(page, "04-drift");
  await go(page, "#repair-form button[type=submit]");
  assert.match(page.url(), /\/pbx\/drift\?done=repaired$/);
  assert.equal(await page.isVisible("#drift-none"), true);
  // Centralita's version again (Asterisk's ";!" header says when it wrote the file: not compared).
  const body = (t) => t.split("\n").filter((l) => !l.startsWith(";!")).join("\n");
  assert.equal(body(readFileSync(file, "utf8")), body(original));
  await shot(page, "05-repaired");

  assert.deepEqual(errors, []);
  console.log("browser pbx flow: ok");
} finally {
  await browser.close();
}
