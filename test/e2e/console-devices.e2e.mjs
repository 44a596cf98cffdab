// End to end, the console's Devices page (issue 15, point 1) in Debian's headless Chromium against `wrangler
// dev`: an admin signs in to the console, opens Devices from its menu, registers a printer and sees its client
// id and secret once (the secret then authenticates at device/authorize: 200), goes back to the list (the
// secret is gone from it), revokes the printer from its confirmation page, and the list says so (the secret now
// gets 401). Every page is photographed at 1280 and 390 px (test-results/console-devices-{page}-{width}.png),
// and at 390 px none may scroll sideways. Run with `npm run test:e2e`, or alone with
// `node --test test/e2e/console-devices.e2e.mjs`; it starts and stops everything it needs.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import { browserTestOf, createTenant, launchChromium, photographerOf, secret, startWorker, STEP_MS } from "./support.mjs";

const state = { worker: undefined, browser: undefined, tenant: `e2e-devices-${randomBytes(3).toString("hex")}` };
const adminPassword = `admin-${secret(9)}`;
const PRINTER = "Printer 2F, reception";

const consoleUrl = () => `${state.worker.origin}/t/${state.tenant}/console`;

/** The device asks for codes with its client id and secret (HTTP Basic), as a printer does: the status. */
async function deviceAuthorizeStatus(id, clientSecret) {
  const response = await fetch(`${state.worker.origin}/t/${state.tenant}/device/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${id}:${clientSecret}`)}` },
    body: new URLSearchParams({ scope: "openid" }),
    signal: AbortSignal.timeout(STEP_MS),
  });
  return response.status;
}

const photograph = photographerOf("console-devices");
const browserTest = browserTestOf(state, "console-devices", 60_000);

before(async () => {
  // First, so that a machine without Chromium fails before anything else starts.
  state.browser = await launchChromium();
  state.worker = await startWorker();
  await createTenant(state.worker, {
    name: state.tenant,
    displayName: "Devices Print Co",
    admin: { username: "admin", email: `admin@${state.tenant}.example`, password: adminPassword, firstName: "Ada", lastName: "Admin" },
  });
}, { timeout: 120_000 });

after(async () => {
  await state.browser?.close().catch(() => {});
  await state.worker?.stop();
}, { timeout: 30_000 });

browserTest("an admin registers a printer, sees its working secret once, then revokes it; at 1280 and 390 px", async ({ page }) => {
  await page.goto(`${consoleUrl()}/sign-in`);
  await page.getByLabel("Username or e-mail").fill("admin");
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Devices" }).click();
  await page.waitForURL(`${consoleUrl()}/devices`);
  await page.getByText("No devices yet.").waitFor();

  // Registered: the answer shows the client id and the secret, which works at once.
  await page.getByLabel("Name", { exact: true }).fill(PRINTER);
  await page.getByLabel("Kind", { exact: true }).selectOption("printer");
  await page.getByRole("button", { name: "Register" }).click();
  const registered = page.getByRole("status");
  await registered.getByText(`${PRINTER} is registered.`).waitFor();
  await registered.getByText("The secret will not be shown again").waitFor();
  const [id, clientSecret] = await registered.locator("dd code").allTextContents();
  await photograph(page, "registered");
  assert.equal(await deviceAuthorizeStatus(id, clientSecret), 200);

  // Once: the list the admin goes back to has the device, not its secret.
  await page.getByRole("link", { name: "Done: I have copied it" }).click();
  await page.waitForURL(`${consoleUrl()}/devices`);
  const row = page.getByRole("row").filter({ hasText: id });
  await row.getByText("Active", { exact: true }).waitFor();
  assert.equal(await page.getByText(clientSecret).count(), 0);
  await photograph(page, "list");

  // Revoked from its confirmation page: the list says so, and the secret no longer works.
  await row.getByRole("link", { name: /^Revoke/ }).click();
  await page.getByRole("heading", { name: `Revoke ${PRINTER}?` }).waitFor();
  await photograph(page, "revoke");
  await page.getByRole("button", { name: `Revoke ${PRINTER}` }).click();
  await page.waitForURL(`${consoleUrl()}/devices?revoked=${id}`);
  await page.getByRole("status").getByText(`${PRINTER} is revoked`).waitFor();
  await page.getByRole("row").filter({ hasText: id }).getByText("Revoked", { exact: true }).waitFor();
  await photograph(page, "revoked");
  assert.equal(await deviceAuthorizeStatus(id, clientSecret), 401);
});
