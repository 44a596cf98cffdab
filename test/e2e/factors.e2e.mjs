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
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before } from "node:test";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { decodeJwt } from "jose";
import { api, browserTestOf, createTenant, launchChromium, photographerOf, secret, startWorker, STEP_MS } from "./support.mjs";

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
function authorizationRequest() {
  const verifier = secret(32);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: WEB.id,
    redirect_uri: callbackUrl(),
    scope: "openid profile",
    state: secret(12),
    nonce: secret(12),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  return { url: `${issuer()}/authorize?${query}`, verifier };
}

/** The password on the hosted page: the form's answer (a 303 to the client, or the second step's page). */
async function typePassword(page, request) {
  await page.goto(request.url);
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  await page.getByLabel("Username or e-mail").fill(state.person.username);
  await page.getByLabel("Password").fill(PASSWORD);
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.url().endsWith("/authorize/password") && response.request().method() === "POST"),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  return answer;
}

/** At the client's callback: its code redeemed at /token with the verifier; the ID token's claims. */
async function redeemAtCallback(page, request) {
  await page.waitForURL((url) => url.href.startsWith(callbackUrl()));
  const code = new URL(page.url()).searchParams.get("code");
  assert.ok(code, "a code at the callback");
  const response = await fetch(`${issuer()}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: WEB.id, code, redirect_uri: callbackUrl(), code_verifier: request.verifier }),
    signal: AbortSignal.timeout(STEP_MS),
  });
  const tokens = await response.json();
  assert.equal(response.status, 200, `/token: ${JSON.stringify(tokens)}`);
  return decodeJwt(tokens.id_token);
}

const photograph = photographerOf("factors");
const browserTest = browserTestOf(state, "factors", 120_000);

before(async () => {
  const started = Date.now();
  // First, so that a machine without Chromium fails before anything else starts.
  state.browser = await launchChromium();
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>RP</title><p>Back at the application</p>"));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.rp = { server, origin: `http://127.0.0.1:${server.address().port}` };
  state.worker = await startWorker({ vars: { CLIENTS: JSON.stringify([APP, { id: WEB.id, name: WEB.name, redirectUris: [callbackUrl()] }]) } });

  const slug = `e2e-factors-${randomBytes(3).toString("hex")}`;
  const adminPassword = `admin-${secret(9)}`;
  await createTenant(state.worker, {
    name: slug,
    displayName: "Factors Print Co",
    admin: { username: "admin", email: `admin@${slug}.example`, password: adminPassword },
  });
  state.tenant = slug;
  const signedIn = await api(origin(), `/t/${slug}/sign-in`, { body: { login: "admin", password: adminPassword, clientId: APP.id } });
  assert.equal(signedIn.status, 200, `admin sign-in: ${JSON.stringify(signedIn.body)}`);
  const person = { username: "tom.totp", email: `tom.totp@${slug}.example`, password: PASSWORD, firstName: "Tom", lastName: "Totp" };
  const created = await api(origin(), `/t/${slug}/admin/users`, { body: person, headers: { authorization: `Bearer ${signedIn.body.access_token}` } });
  assert.equal(created.status, 201, `POST /admin/users: ${JSON.stringify(created.body)}`);
  state.person = { id: created.body.id, username: person.username };
  console.log(`# set up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${origin()}, tenant ${slug}`);
}, { timeout: 120_000 });

after(async () => {
  await state.browser?.close().catch(() => {});
  await state.worker?.stop();
  await new Promise((resolve) => (state.rp ? state.rp.server.close(resolve) : resolve()));
}, { timeout: 30_000 });

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
