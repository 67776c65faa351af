// Browser flow for the live calls: the owner opens Live calls from the menu (no call: the "none" line), then the
// test PBX starts an answered call 201 -> 202 and a call 203 -> 204 that rings: each row appears without a reload,
// over the page's Server-Sent Events, within 1 s; the answered call's elapsed time counts up by itself; ending
// them removes the rows within 1 s. Then the same page with JavaScript off: the noscript refresh brings a new
// call in within its 5 s. No console errors (a CSP violation would be one).
// Screenshots: tests/out/live-*.png.
// Usage: node live.mjs BASE_URL OWNER_NAME OWNER_PASSWORD PBX_CONTROL_PORT
import assert from "node:assert/strict";
import { launch, out, pbxControl, watchedPage } from "./browser.mjs";

const [base, name, password, controlPort] = process.argv.slice(2);
const browser = await launch();
const errors = [];
const shot = (page, n) => page.screenshot({ path: out + `live-${n}.png`, fullPage: true });
const go = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);

const control = (request) => pbxControl(controlPort, request);

// Milliseconds until selector matches (state "attached" or "detached"), failing after 1 s.
async function within1s(page, selector, state) {
  const t0 = Date.now();
  await page.waitForSelector(selector, { state, timeout: 1000 });
  return Date.now() - t0;
}

try {
  const page = await watchedPage(browser, errors);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(base + "/login");
  await page.fill("input[name=username]", name);
  await page.fill("input[name=password]", password);
  await go(page, "button[type=submit]");

  await go(page, 'nav a[href="/live"]');
  assert.equal(new URL(page.url()).pathname, "/live");
  await page.waitForSelector("#live-disconnected", { state: "hidden", timeout: 10000 });
  assert.equal(await page.locator("#live-rows tr").count(), 0);
  assert.equal(await page.isVisible("#live-none"), true);
  await shot(page, "01-none");

  // An answered call appears, up, without a reload.
  const answered = await control({ cmd: "emit_call", caller: "201", callee: "202", hold: true });
  const upMs = await within1s(page, "#live-rows tr.state-up", "attached");
  const row = page.locator("#live-rows tr.state-up");
  assert.equal(await row.locator("td.caller .number").textContent(), "201");
  assert.equal(await row.locator("td.callee .number").textContent(), "202");
  assert.equal(await row.locator("td.state").textContent(), "Talking");
  assert.equal(await row.locator("td.kind").textContent(), "Internal");
  assert.equal(await page.textContent("#live-active"), "1");
  assert.equal(await page.isVisible("#live-none"), false);

  // A second call rings.
  const ringing = await control({ cmd: "emit_call", caller: "203", callee: "204", answered: false, hold: true });
  const ringMs = await within1s(page, "#live-rows tr.state-ringing", "attached");
  assert.equal(await page.locator("#live-rows tr").count(), 2);
  assert.equal(await page.textContent("#live-active"), "2");
  // The elapsed time counts by itself (live.js ticks every second).
  const before = await row.locator("td.duration").textContent();
  await page.waitForFunction((b) => document.querySelector("#live-rows tr.state-up td.duration").textContent !== b,
                             before, { timeout: 3000 });
  await shot(page, "02-two-calls");

  // Ended: the rows go.
  await control({ cmd: "end_call", call: ringing.call });
  const ringGoneMs = await within1s(page, "#live-rows tr.state-ringing", "detached");
  await control({ cmd: "end_call", call: answered.call });
  const upGoneMs = await within1s(page, "#live-rows tr.state-up", "detached");
  assert.equal(await page.locator("#live-rows tr").count(), 0);
  assert.equal(await page.isVisible("#live-none"), true);
  assert.equal(await page.textContent("#live-peak"), "2");
  await shot(page, "03-ended");

  // Without JavaScript: the page refreshes itself (noscript meta refresh every 5 s) and a new call shows up.
  const context = await browser.newContext({ locale: "en-US", javaScriptEnabled: false });
  await context.addCookies(await page.context().cookies());
  const plain = await context.newPage();
  await plain.setViewportSize({ width: 1280, height: 800 });
  await plain.goto(base + "/live");
  assert.equal(await plain.locator("#live-rows tr").count(), 0);
  const third = await control({ cmd: "emit_call", caller: "205", callee: "206", hold: true });
  await plain.waitForSelector("#live-rows tr.state-up", { timeout: 7000 });
  await shot(plain, "04-no-javascript");
  await control({ cmd: "end_call", call: third.call });

  assert.deepEqual(errors, []);
  console.log(`browser live flow: ok (up shown in ${upMs} ms, ringing in ${ringMs} ms, gone in ${ringGoneMs} and ` +
              `${upGoneMs} ms)`);
} finally {
  await browser.close();
}
