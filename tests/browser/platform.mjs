// Browser flow for the platform: log in, switch language to Spanish and back, create an owner user,
// log in as that owner and find no users page. Screenshots go to tests/out/.
// Usage: node platform.mjs BASE_URL INTEGRATOR_NAME INTEGRATOR_PASSWORD
import assert from "node:assert/strict";
import { launch, out, watchedPage } from "./browser.mjs";

const [base, adminName, adminPassword] = process.argv.slice(2);
const browser = await launch();
const errors = [];
try {
  const page = await watchedPage(browser, errors);

  const login = async (name, password) => {
    await page.goto(base + "/login");
    await page.fill("input[name=username]", name);
    await page.fill("input[name=password]", password);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  };

  await page.goto(base + "/");
  assert.match(page.url(), /\/login$/);
  await page.screenshot({ path: out + "platform-01-login.png", fullPage: true });

  await login(adminName, adminPassword);
  assert.equal(await page.textContent("h1"), `Welcome, ${adminName}`);
  await page.screenshot({ path: out + "platform-02-home.png", fullPage: true });

  await Promise.all([page.waitForNavigation(), page.click("#language-form button")]);
  assert.equal(await page.textContent("h1"), `Bienvenido, ${adminName}`);
  assert.equal(await page.getAttribute("html", "lang"), "es");
  await page.screenshot({ path: out + "platform-03-home-es.png", fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click("#language-form button")]);
  assert.equal(await page.textContent("h1"), `Welcome, ${adminName}`);

  await page.click("nav >> text=Users");
  await page.waitForURL(base + "/users");
  // A bad submission first: the form comes back with messages next to the fields and the values kept.
  await page.fill("#new-user input[name=name]", "Shop Owner");
  await page.fill("#new-user input[name=password]", "short");
  await Promise.all([page.waitForNavigation(), page.click("#new-user button[type=submit]")]);
  assert.match(await page.textContent("#new-user"), /Too short\./);
  assert.equal(await page.inputValue("#new-user input[name=name]"), "Shop Owner");
  await page.screenshot({ path: out + "platform-04-user-form-errors.png", fullPage: true });

  await page.fill("#new-user input[name=password]", "owner-password-1");
  await page.selectOption("#new-user select[name=role]", "owner");
  await Promise.all([page.waitForNavigation(), page.click("#new-user button[type=submit]")]);
  assert.match(page.url(), /\/users\?done=created$/);
  const names = await page.$$eval("#users .user-name", (cells) => cells.map((c) => c.textContent));
  assert.ok(names.includes("Shop Owner"), names.join(","));
  await page.screenshot({ path: out + "platform-05-users.png", fullPage: true });

  await Promise.all([page.waitForNavigation(), page.click("#logout")]);
  assert.match(page.url(), /\/login$/);

  await login("Shop Owner", "owner-password-1");
  assert.equal(await page.textContent("h1"), "Welcome, Shop Owner");
  assert.equal(await page.locator("nav >> text=Users").count(), 0, "an owner must not see the users page link");
  assert.deepEqual(errors, []);
  const response = await page.goto(base + "/users");
  assert.equal(response.status(), 403);
  await page.screenshot({ path: out + "platform-06-owner-forbidden.png", fullPage: true });

  assert.deepEqual(errors, []);
  console.log("browser platform flow: ok");
} finally {
  await browser.close();
}
