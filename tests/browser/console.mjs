// Browser flow for the debug console: the integrator opens Console from the menu and sees the log's last lines
// coloured by level; "Follow" shows a line appended to the log file within 1 s (Server-Sent Events, no reload);
// the CLI box runs "core show uptime" (the test PBX's output) and refuses "core stop now" with the list of allowed
// commands. No console errors (a CSP violation would be one).
// Screenshots: tests/out/console-*.png.
// Usage: node console.mjs BASE_URL INTEGRATOR_NAME INTEGRATOR_PASSWORD LOG_FILE
import assert from "node:assert/strict";
import { appendFileSync } from "node:fs";
import { launch, out, watchedPage } from "./browser.mjs";

const [base, name, password, logFile] = process.argv.slice(2);
const browser = await launch();
const errors = [];
const shot = (page, n) => page.screenshot({ path: out + `console-${n}.png`, fullPage: true });
const go = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);

try {
  const page = await watchedPage(browser, errors);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(base + "/login");
  await page.fill("input[name=username]", name);
  await page.fill("input[name=password]", password);
  await go(page, "button[type=submit]");

  await go(page, 'nav a[href="/console"]');
  assert.equal(new URL(page.url()).pathname, "/console");
  const lines = page.locator("#log-lines li");
  assert.equal(await lines.count(), 4);
  assert.equal(await lines.last().getAttribute("class"), "log-error");
  // Levels have their own colours (style.css; no inline style is allowed by the CSP).
  const colour = (sel) => page.$eval(sel, (e) => getComputedStyle(e).color);
  assert.notEqual(await colour("#log-lines li.log-error"), await colour("#log-lines li.log-notice"));
  await shot(page, "01-log");

  // Follow: a line Asterisk writes shows up without a reload.
  await page.click("#follow");
  await page.waitForFunction(() => document.getElementById("follow-state").textContent !== "");
  await page.waitForTimeout(300);   // the stream is open and has looked at the file
  const t0 = Date.now();
  appendFileSync(logFile, "[Dec  2 06:50:00] WARNING[4242] res_pjsip_registrar.c: followed <line> ñ\n");
  await page.waitForSelector("#log-lines li.log-warning:has-text('followed <line> ñ')", { timeout: 1000 });
  const followMs = Date.now() - t0;
  await shot(page, "02-followed");

  // The CLI box: an allowed command answers, a dangerous one is refused before anything is sent.
  await page.fill("#cli-command", "core show uptime");
  await go(page, "#cli-form button[type=submit]");
  assert.match(await page.textContent("#cli-output"), /^System uptime: /);
  await shot(page, "03-cli-allowed");
  await page.fill("#cli-command", "core stop now");
  await go(page, "#cli-form button[type=submit]");
  assert.equal(await page.isVisible("#cli-refused"), true);
  assert.equal(await page.isVisible("#cli-allow-list li:has-text('core show uptime')"), true);
  assert.equal(await page.locator("#cli-output").count(), 0);
  await shot(page, "04-cli-refused");

  assert.deepEqual(errors, []);
  console.log(`browser console flow: ok (followed line shown in ${followMs} ms)`);
} finally {
  await browser.close();
}
