// Browser flow for calls going out: an integrator adds two trunks (one registering over TCP), a route that uses
// both in failover order, a second route that is then moved above the first, asks the route tester about a
// number it may call and one its class may not, reads the dialplan preview, and a bad pattern gets an inline
// error with the values kept. Screenshots go to tests/out/routes-*.png.
// Usage: node routes.mjs BASE_URL INTEGRATOR_NAME INTEGRATOR_PASSWORD
import assert from "node:assert/strict";
import { launch, out, watchedPage } from "./browser.mjs";

const [base, adminName, adminPassword] = process.argv.slice(2);
const browser = await launch();
const errors = [];
const shot = (page, name) => page.screenshot({ path: out + `routes-${name}.png`, fullPage: true });
const submit = (page, form) => Promise.all([page.waitForNavigation(), page.click(`${form} button[type=submit]`)]);
try {
  const page = await watchedPage(browser, errors);

  await page.goto(base + "/login");
  await page.fill("input[name=username]", adminName);
  await page.fill("input[name=password]", adminPassword);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);

  // Trunks: none yet.
  await Promise.all([page.waitForNavigation(), page.click("nav >> text=Trunks")]);
  assert.equal(page.url(), base + "/trunks");
  assert.equal(await page.locator("#no-trunks").count(), 1);
  await shot(page, "01-trunks-empty");

  // The first trunk: a plain provider with a caller ID.
  await Promise.all([page.waitForNavigation(), page.click("#add-trunk")]);
  assert.match(page.url(), /\/trunks\/new$/);
  assert.equal(await page.inputValue("input[name=port]"), "5060");
  assert.deepEqual(await page.$$eval("#codecs input:checked", (bs) => bs.map((b) => b.value)), ["ulaw", "alaw"]);
  await page.fill("input[name=name]", "alpha");
  await page.fill("input[name=host]", "192.0.2.81");
  await page.fill("input[name=callerid]", "+34910000081");
  await shot(page, "02-trunk-form");
  const [saved] = await submit(page, "#trunk-form");
  assert.equal(saved.status(), 200);
  assert.match(page.url(), /\/trunks\?done=saved$/);
  assert.match(await page.textContent("#flash"), /Trunk saved and applied/);

  // The second: registers, over TCP, one codec.
  await Promise.all([page.waitForNavigation(), page.click("#add-trunk")]);
  await page.fill("input[name=name]", "beta");
  await page.fill("input[name=host]", "sip.beta.example");
  await page.fill("input[name=port]", "5070");
  await page.selectOption("select[name=transport]", "tcp");
  await page.check("input[name=registration]");
  await page.fill("input[name=username]", "acct-5");
  await page.fill("input[name=secret]", "beta-secret-1");
  await page.uncheck("#codecs input[value=alaw]");
  await submit(page, "#trunk-form");
  assert.match(page.url(), /\/trunks\?done=saved$/);
  const names = await page.$$eval("#trunks tbody tr", (rs) => rs.map((r) => r.dataset.trunk));
  assert.deepEqual(names, ["alpha", "beta"]);
  assert.match(await page.textContent('tr[data-trunk="beta"] td.provider'), /sip\.beta\.example:5070/);
  assert.match(await page.textContent('tr[data-trunk="beta"] td.apply'), /applied/);
  await shot(page, "03-trunks");

  // A route through both, beta first.
  await Promise.all([page.waitForNavigation(), page.click("nav >> text=Routes")]);
  assert.equal(await page.locator("#no-routes").count(), 1);
  await Promise.all([page.waitForNavigation(), page.click("#add-route")]);
  await page.fill("input[name=name]", "Nacional");
  await page.fill("textarea[name=patterns]", "_9XXXXXXXX\n_6XXXXXXXX");
  await page.check("#classes input[value=national]");
  await page.check("#classes input[value=international]");
  await page.selectOption("select[name=trunk_1]", { label: "beta" });
  await page.selectOption("select[name=trunk_2]", { label: "alpha" });
  await shot(page, "04-route-form");
  await submit(page, "#route-form");
  assert.match(page.url(), /\/routes\?done=saved$/);
  assert.match(await page.textContent("#flash"), /Route saved and applied/);
  const order = async (name) => page.$$eval(`tr[data-route="${name}"] li.trunk`, (ls) => ls.map((l) => l.dataset.trunk));
  assert.deepEqual(await order("Nacional"), ["beta", "alpha"]);
  await shot(page, "05-routes");

  // A second route, for calls abroad, then moved above the first.
  await Promise.all([page.waitForNavigation(), page.click("#add-route")]);
  await page.fill("input[name=name]", "Internacional");
  await page.fill("textarea[name=patterns]", "_00Z.");
  await page.fill("input[name=strip]", "2");
  await page.fill("input[name=prepend]", "+");
  await page.check("#classes input[value=international]");
  await page.selectOption("select[name=trunk_1]", { label: "alpha" });
  await submit(page, "#route-form");
  const routeNames = () => page.$$eval("#routes tbody tr", (rs) => rs.map((r) => r.dataset.route));
  assert.deepEqual(await routeNames(), ["Nacional", "Internacional"]);
  await Promise.all([page.waitForNavigation(), page.click('tr[data-route="Internacional"] form.move-up button')]);
  assert.match(page.url(), /\/routes\?done=moved$/);
  assert.deepEqual(await routeNames(), ["Internacional", "Nacional"]);
  await shot(page, "06-routes-moved");

  // The route tester: a national number from a national phone goes to beta, then alpha with its caller ID.
  await Promise.all([page.waitForNavigation(), page.click("#tester-link")]);
  await page.fill("input[name=number]", "912345678");
  await page.selectOption("select[name=class]", "national");
  await submit(page, "#test-form");
  assert.equal(await page.getAttribute("#test-result", "data-verdict"), "matched");
  assert.equal(await page.textContent("#test-route"), "Nacional");
  const attempts = await page.$$eval("#attempts tbody tr", (rs) => rs.map((r) =>
    [r.querySelector(".trunk").textContent, r.querySelector(".sent").textContent.trim(),
     r.querySelector(".callerid").textContent.trim()]));
  assert.deepEqual(attempts, [["beta", "912345678", "the caller's own"], ["alpha", "912345678", "+34910000081"]]);
  await shot(page, "07-tester");

  // Abroad from a national phone: refused, and the page says which classes may.
  await page.fill("input[name=number]", "00442071234567");
  await submit(page, "#test-form");
  assert.equal(await page.getAttribute("#test-result", "data-verdict"), "not_allowed");
  assert.equal(await page.textContent("#test-route"), "Internacional");
  assert.match(await page.textContent("#allowed-classes"), /international/);
  // From an international phone: stripped and prepended.
  await page.selectOption("select[name=class]", "international");
  await submit(page, "#test-form");
  assert.equal(await page.getAttribute("#test-result", "data-verdict"), "matched");
  assert.equal(await page.textContent("#attempts .sent"), "+442071234567");
  await page.fill("input[name=number]", "112");
  await page.selectOption("select[name=class]", "internal");
  await submit(page, "#test-form");
  assert.equal(await page.getAttribute("#test-result", "data-verdict"), "emergency");
  assert.deepEqual(await page.$$eval("#attempts .trunk", (ts) => ts.map((t) => t.textContent)), ["alpha", "beta"]);
  await shot(page, "08-tester-emergency");

  // The dialplan preview.
  await page.goto(base + "/routes");
  await Promise.all([page.waitForNavigation(), page.click("#dialplan-link")]);
  const plan = await page.textContent("#dialplan");
  assert.match(plan, /\[centralita-class-national\]\nexten => 112,1,Goto\(centralita-emergency-out,112,1\)\ninclude => internal\ninclude => centralita-route-1\n/);
  assert.match(plan, /\[centralita-class-international\]\n(.*\n)*?include => centralita-route-2\ninclude => centralita-route-1\n/);
  assert.match(plan, /Dial\(PJSIP\/\$\{EXTEN\}@trunk-beta,60\)/);
  await shot(page, "09-dialplan");

  // A pattern with a comma: the message next to the patterns, the values kept, nothing saved.
  await page.goto(base + "/routes/new");
  await page.fill("input[name=name]", "Malo");
  await page.fill("textarea[name=patterns]", "_9XX,1,Dial(Local/1)");
  await page.check("#classes input[value=local]");
  await page.selectOption("select[name=trunk_1]", { label: "alpha" });
  const [bad] = await submit(page, "#route-form");
  assert.equal(bad.status(), 422);
  const patternsLabel = page.locator("label", { has: page.locator("textarea[name=patterns]") });
  assert.match(await patternsLabel.locator(".field-error").textContent(), /no spaces, letters, commas/);
  assert.equal(await page.locator(".field-error").count(), 1);
  assert.equal(await page.inputValue("input[name=name]"), "Malo");
  assert.equal(await page.inputValue("textarea[name=patterns]"), "_9XX,1,Dial(Local/1)");
  assert.equal(await page.isChecked("#classes input[value=local]"), true);
  assert.equal(await page.inputValue("select[name=trunk_1]"), await page.getAttribute('select[name=trunk_1] option:text("alpha")', "value"));
  await shot(page, "10-bad-pattern");

  assert.deepEqual(errors, []);
  console.log("browser routes flow: ok");
} finally {
  await browser.close();
}
