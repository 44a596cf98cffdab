// End to end, a second factor set up and used on the hosted pages (issue 16, rule M): the eu Worker under
// `wrangler dev`, Debian's headless Chromium (playwright-core) as the person, a public web client (PKCE)
// whose redirect URI is a tiny HTTP server of this file. The person signs in on the hosted page, opens the
// account's "Second factors" page, sets up an authenticator app by reading its key from the page and
// computing its code here (RFC 6238, as an app would: @oslojs/otp), sees the recovery codes once, signs
// out, signs in again and passes the second step with a computed code: the client's code redeems to an ID
// token whose amr says otp and mfa. A wrong code on the step's page is said in words. Every page is
// photographed at 1280 and 390 px (test-results/factors-{page}-{width}.png), and at 390 px must not scroll
// sideways. Run with `npm run test:e2e`; it starts and stops everything it needs.
import assert from "node:assert/strict";
import { before } from "node:test";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import {
  authorizationRequest as authorizationRequestOf,
  browserTestOf,
  launchChromium,
  photographerOf,
  redeemAtCallback,
  startRelyingParty,
  startWorker,
  stopAfterAll,
  tenantWithPerson,
  typePassword as typePasswordOf,
} from "./support.mjs";

const PASSWORD = "a long and fine password";
/** The app's public client, through which the test's admin uses the JSON API. */
const APP = { id: "printid-mobile", redirectUris: ["dev.printid.app:/oauth/callback"] };
/** A web application (public, PKCE) whose authorization request brings the person to the hosted sign-in. */
const WEB = { id: "e2e-factors-web", name: "E2E Factors Web" };

const state = { worker: undefined, browser: undefined, rp: undefined, tenant: undefined, person: undefined };

const origin = () => state.worker.origin;
const callbackUrl = () => `${state.rp.origin}/callback`;
const issuer = () => `${origin()}/t/${state.tenant}`;

/**
 * The code an authenticator app shows for `key` (base32, as the page shows it, spaces and all), `steps`
 * 30-second steps from now: a code works once per step, so a sign-in right after the set-up uses the next.
 */
function appCode(key, steps = 0) {
  const counter = BigInt(Math.floor(Date.now() / 30_000) + steps);
  return generateHOTP(decodeBase32IgnorePadding(key.replace(/\s/g, "")), counter, 6);
}

/** The web application's authorization request, its PKCE verifier kept to redeem the code. */
const authorizationRequest = () => authorizationRequestOf({ issuer: issuer(), clientId: WEB.id, redirectUri: callbackUrl() });

/** The person's password on the hosted page: the form's answer (a 303 to the client, or the second step's page). */
const typePassword = (page, request) => typePasswordOf(page, request, { username: state.person.username, password: PASSWORD });

const photograph = photographerOf("factors");
const browserTest = browserTestOf(state, "factors", 120_000);

before(async () => {
  const started = Date.now();
  // First, so that a machine without Chromium fails before anything else starts.
  state.browser = await launchChromium();
  state.rp = await startRelyingParty();
  state.worker = await startWorker({ vars: { CLIENTS: JSON.stringify([APP, { id: WEB.id, name: WEB.name, redirectUris: [callbackUrl()] }]) } });
  const person = { username: "tom.totp", password: PASSWORD, firstName: "Tom", lastName: "Totp" };
  const tenant = await tenantWithPerson(state.worker, { prefix: "e2e-factors", displayName: "Factors Print Co", appClientId: APP.id, person });
  state.tenant = tenant.slug;
  state.person = tenant.person;
  console.log(`# set up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${origin()}, tenant ${tenant.slug}`);
}, { timeout: 120_000 });

stopAfterAll(state);

browserTest("an authenticator app set up on the account page (its key read from the page), recovery codes once, then the second step at the next sign-in", async ({ page }) => {
  const first = authorizationRequest();
  assert.equal((await typePassword(page, first)).status(), 303, "no second factor yet: straight to the client");
  assert.deepEqual((await redeemAtCallback(page, first)).amr, ["pwd"]);

  // The account's page: nothing set up; the app first (no fresh factor to ask: the person has none).
  await page.goto(`${issuer()}/account/factors`);
  await page.getByRole("heading", { name: "Second factors", level: 1 }).waitFor();
  await page.getByText("You have not set up a second factor yet.").waitFor();
  await photograph(page, "none");
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await page.getByRole("heading", { name: "Set up your authenticator app", level: 1 }).waitFor();
  assert.equal(await page.getByRole("img", { name: "QR code for your authenticator app" }).locator("svg").count(), 1, "the QR code, inline");
  await photograph(page, "app-setup");
  const key = await page.locator("code.key").textContent();
  assert.match(key.replace(/\s/g, ""), /^[A-Z2-7]{32}$/);
  await page.getByLabel("Code from the app").fill(appCode(key));
  await page.getByRole("button", { name: "Confirm" }).click();

  // A first factor: its recovery codes, this once.
  await page.getByRole("heading", { name: "Save your recovery codes", level: 1 }).waitFor();
  const codes = await page.locator("ul.codes li").allTextContents();
  assert.equal(codes.length, 10, JSON.stringify(codes));
  await photograph(page, "recovery-codes");
  await page.getByRole("link", { name: "Continue" }).click();
  await page.getByText("Authenticator app", { exact: true }).waitFor();
  await page.getByText("10 recovery codes left.").waitFor();
  assert.equal(await page.getByText(codes[0]).count(), 0, "the codes are not shown again");
  await photograph(page, "app");

  // Signed out, then in again: the second step asks for the app's code.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Signed out", level: 1 }).waitFor();
  const second = authorizationRequest();
  assert.equal((await typePassword(page, second)).status(), 401, "the second step's page");
  await page.getByRole("heading", { name: "Two-step verification", level: 1 }).waitFor();
  await photograph(page, "second-step");

  await page.getByLabel("Code", { exact: true }).fill("000000");
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await page.getByRole("alert").getByText("The code is not correct. Check it and try again.").waitFor();
  await photograph(page, "wrong-code");

  await page.getByLabel("Code", { exact: true }).fill(appCode(key, 1));
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  const claims = await redeemAtCallback(page, second);
  assert.equal(claims.sub, state.person.id);
  assert.deepEqual(claims.amr, ["pwd", "otp", "mfa"]);
});
