// Shared set-up for the browser flows: Debian's Chromium through playwright-core (never a downloaded
// browser), with the flags this closed network needs, and a page that records every script error, CSP
// violation and failed sub-resource (document statuses are asserted by the flows themselves).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import net from "node:net";

export const out = new URL("../out/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
}

export async function watchedPage(browser, errors) {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
  page.on("response", (r) => {
    if (r.request().resourceType() !== "document" && r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return page;
}

// One request on the test PBX's control channel (tests/pbx/testpbx.py Control: a JSON line each way).
export function pbxControl(port, request) {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: "127.0.0.1", port: Number(port) });
    let got = "";
    socket.on("data", (d) => {
      got += d;
      const end = got.indexOf("\n");
      if (end < 0) return;
      socket.end();
      const reply = JSON.parse(got.slice(0, end));
      if (reply.ok) resolve(reply);
      else reject(new Error(reply.error));
    });
    socket.on("error", reject);
    socket.write(JSON.stringify(request) + "\n");
  });
}
