// Swagger UI, as a fresh server serves it at /swagger, driven in a real
// headless Chromium: it loads with no network beyond the server, logs in
// through "Try it out", takes the token through "Authorize", and runs whoami
// and share creation through "Try it out", checking what the page shows.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { packageDir, startServer } from "../lib/server.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOT = resolve(packageDir, "../../target/swagger-ui.png");
const SHARE_URL = /^\/files\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import("playwright-core").Browser} */
let browser;

before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's sandbox refuses to run as root; Playwright passes --no-sandbox.
    chromiumSandbox: false,
    // A second fence behind the request routing below: no host name but 127.0.0.1 resolves.
    args: ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("Swagger UI: Authorize, then Try it out on whoami and create_share", { timeout: 120_000 }, async () => {
  const origin = new URL(server.baseUrl).origin;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);

  // Every request that leaves the server's origin is refused and noted.
  const outside = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    outside.push(url);
    return route.abort("blockedbyclient");
  });
  page.on("websocket", (socket) => outside.push(socket.url()));
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));

  await page.goto(`${origin}/swagger`, { waitUntil: "networkidle" });
  await page.locator("#operations-Auth-login").waitFor();
  assert.deepEqual(outside, [], "loading the page tried to reach beyond the server");
  assert.match(await page.locator(".info .title").first().innerText(), /^Sachet/);

  // Log in through the login operation, as a user of the page would.
  const login = await tryItOut(page, "Auth", "login", {
    username: "admin",
    password: server.adminPassword,
  });
  assert.equal(login.url, `${origin}/users/login`);
  assert.equal(login.status, "200");
  const token = JSON.parse(login.body).auth_token;
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

  // Authorize with the bearer token.
  await page.locator(".scheme-container button.authorize").click();
  const modal = page.locator(".modal-ux");
  await modal.waitFor();
  await modal.locator("input").fill(token);
  await modal.locator("button.authorize").click();
  await modal.locator("button", { hasText: "Logout" }).waitFor();
  await modal.locator("button.btn-done").click();
  await modal.waitFor({ state: "detached" });

  const whoami = await tryItOut(page, "Users", "whoami");
  assert.equal(whoami.url, `${origin}/whoami`);
  assert.equal(whoami.status, "200");
  assert.equal(JSON.parse(whoami.body).username, "admin");
  assert.match(whoami.body, /"username": "admin"/);

  const created = await tryItOut(page, "Shares", "create_share", { file_name: "from-swagger.txt" });
  assert.equal(created.url, `${origin}/files`);
  assert.equal(created.status, "201");
  const shareUrl = JSON.parse(created.body).url;
  assert.match(shareUrl, SHARE_URL);
  assert.match(created.body, /"url": "\/files\//);

  // The share exists, as the page said, and belongs to the admin.
  const share = await fetch(`${origin}${shareUrl}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(share.status, 200);
  const shareBody = await share.json();
  assert.equal(shareBody.file_name, "from-swagger.txt");
  assert.equal(shareBody.owner_name, "admin");

  // The login operation shows the password and the token: fold it away.
  await page.locator("#operations-Auth-login .opblock-summary").first().click();
  await page.locator("#operations-Auth-login .opblock-body").waitFor({ state: "detached" });
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  await context.close();
  assert.deepEqual(outside, [], "the page tried to reach beyond the server");
  assert.deepEqual(pageErrors, [], "the page threw");
});

/**
 * Expands an operation, presses "Try it out", fills the JSON body if given,
 * presses "Execute" and reads the server response that the page shows.
 * @param {import("playwright-core").Page} page
 * @returns {Promise<{ url: string, status: string, body: string }>}
 */
async function tryItOut(page, tag, operationId, body) {
  const operation = page.locator(`#operations-${tag}-${operationId}`);
  await operation.waitFor();
  if (!(await operation.getAttribute("class"))?.split(/\s+/).includes("is-open")) {
    await operation.locator(".opblock-summary").first().click();
  }
  await operation.locator("button.try-out__btn", { hasText: "Try it out" }).click();
  if (body !== undefined) {
    await operation.locator("textarea.body-param__text").fill(JSON.stringify(body, null, 2));
  }
  await operation.locator("button.execute").click();

  const response = operation.locator(".live-responses-table tbody tr.response");
  await response.waitFor();
  return {
    url: (await operation.locator(".request-url pre").innerText()).trim(),
    status: (await response.locator(".response-col_status").innerText()).trim(),
    body: (await response.locator(".response-col_description pre").first().innerText()).trim(),
  };
}
