// End to end, the device authorization grant (RFC 8628, issue 15) with the page at its verification_uri: the
// eu Worker under `wrangler dev`, a printer registered through the admin API as the device (its id and secret
// by HTTP Basic), Debian's headless Chromium (playwright-core) as the person. The device asks for codes and
// polls /token (authorization_pending, at the interval it was told); the person, whose browser is not signed
// in yet, opens verification_uri_complete and is told to sign in first; signs in on the hosted page (an
// authorization request of a public web client, PKCE, whose redirect URI is a tiny HTTP server of this file);
// opens the link again, sees which printer asks, and approves: the next poll gets tokens whose ID token (checked
// against the tenant's JWKS) names that person. A second authorization refused on the page: the poll answers
// access_denied. Every page is photographed at 1280 and 390 px (test-results/device-{page}-{width}.png), and
// at 390 px must not scroll sideways. Run with `npm run test:e2e`; it starts and stops everything it needs.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createRemoteJWKSet, jwtVerify } from "jose";
import {
  api,
  authorizationRequest,
  browserTestOf,
  launchChromium,
  photographerOf,
  startRelyingParty,
  startWorker,
  stopAfterAll,
  STEP_MS,
  tenantWithPerson,
  typePassword,
} from "./support.mjs";

const PASSWORD = "a long and fine password";
/** The app's public client, through which the test's admin uses the JSON API. */
const APP = { id: "printid-mobile", redirectUri: "dev.printid.app:/oauth/callback" };
/** A web application (public, PKCE) whose authorization request brings the person to the hosted sign-in. */
const WEB = { id: "e2e-device-web", name: "E2E Device Web" };
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** The longest the device polls for an answer after the person decided. */
const POLL_MS = 30_000;

const state = {
  worker: undefined,
  browser: undefined,
  rp: undefined,
  tenant: undefined,
  /** The person who approves: { id, username }. */
  person: undefined,
  /** The printer: { id, clientSecret, name }. */
  printer: undefined,
};

const origin = () => state.worker.origin;
const callbackUrl = () => `${state.rp.origin}/callback`;
const issuer = () => `${origin()}/t/${state.tenant.slug}`;

/** The admin API of the tenant: `method path` with `body`, asserting `expected`. */
async function admin(method, path, body, expected) {
  const answer = await api(origin(), `/t/${state.tenant.slug}/admin${path}`, { method, body, headers: state.tenant.admin });
  assert.equal(answer.status, expected, `${method} /admin${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A form POST to the tenant's OAuth endpoint `path` as the printer (HTTP Basic): status and parsed body. */
async function asPrinter(path, fields) {
  const basic = Buffer.from(`${encodeURIComponent(state.printer.id)}:${encodeURIComponent(state.printer.clientSecret)}`).toString("base64");
  const response = await fetch(`${issuer()}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
    body: new URLSearchParams(fields),
    signal: AbortSignal.timeout(STEP_MS),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/** The printer asks for codes (RFC 8628 §3.1), asserting the answer's shape. */
async function deviceAuthorization() {
  const answer = await asPrinter("/device/authorize", { scope: "openid profile" });
  assert.equal(answer.status, 200, `device/authorize: ${JSON.stringify(answer.body)}`);
  const codes = answer.body;
  assert.match(codes.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(codes.verification_uri, `${issuer()}/device`);
  assert.equal(codes.verification_uri_complete, `${issuer()}/device?${new URLSearchParams({ user_code: codes.user_code })}`);
  assert.ok(codes.interval > 0 && codes.expires_in > 0, JSON.stringify(codes));
  return { ...codes, lastPoll: 0 };
}

/** One poll of /token, no sooner than the interval since the last one (RFC 8628 §3.5). */
async function poll(codes) {
  const wait = codes.lastPoll + codes.interval * 1000 + 250 - Date.now();
  if (wait > 0) await sleep(wait);
  codes.lastPoll = Date.now();
  return asPrinter("/token", { grant_type: DEVICE_GRANT, device_code: codes.device_code });
}

/** Polls as a device does until the answer is not authorization_pending (slow_down honoured), within POLL_MS. */
async function pollUntilAnswered(codes) {
  const deadline = Date.now() + POLL_MS;
  const seen = [];
  while (Date.now() < deadline) {
    const answer = await poll(codes);
    seen.push(answer.body?.error ?? answer.status);
    if (answer.status === 400 && answer.body?.error === "slow_down") codes.interval += 5;
    else if (!(answer.status === 400 && answer.body?.error === "authorization_pending")) return { ...answer, seen };
  }
  assert.fail(`no answer but pending within ${POLL_MS / 1000} s: ${JSON.stringify(seen)}`);
}

const photograph = photographerOf("device");

/** Signs the person in on the tenant's hosted page through the web application's authorization request. */
async function signInOnHostedPage(page) {
  const request = authorizationRequest({ issuer: issuer(), clientId: WEB.id, redirectUri: callbackUrl() });
  const answer = await typePassword(page, request, { username: state.person.username, password: PASSWORD });
  assert.equal(answer.status(), 303, `the password form answered ${answer.status()}`);
  await page.waitForURL((url) => url.href.startsWith(callbackUrl()));
  assert.ok(new URL(page.url()).searchParams.get("code"), "a code at the callback");
}

/** The device page asking the person to decide on `codes`' user code, for the printer. */
async function expectConfirmPage(page, codes) {
  await page.goto(codes.verification_uri_complete);
  await page.getByRole("heading", { name: "Sign in a device", level: 1 }).waitFor();
  await page.getByText(`The printer ${state.printer.name} asks to be signed in as Pia Print.`).waitFor();
}

const browserTest = browserTestOf(state, "device", 90_000);

before(async () => {
  const started = Date.now();
  // First, so that a machine without Chromium fails before anything else starts.
  state.browser = await launchChromium();
  state.rp = await startRelyingParty();
  const clients = [{ id: APP.id, redirectUris: [APP.redirectUri] }, { id: WEB.id, name: WEB.name, redirectUris: [callbackUrl()] }];
  state.worker = await startWorker({ vars: { CLIENTS: JSON.stringify(clients) } });

  const person = { username: "pia.print", password: PASSWORD, firstName: "Pia", lastName: "Print" };
  const tenant = await tenantWithPerson(state.worker, { prefix: "e2e-device", displayName: "Device Print Co", appClientId: APP.id, person });
  state.tenant = { slug: tenant.slug, admin: tenant.admin };
  state.person = tenant.person;
  const name = "Lobby MFP";
  const printer = await admin("POST", "/devices", { name, kind: "printer" }, 201);
  assert.ok(printer.id && printer.clientSecret, JSON.stringify(printer));
  state.printer = { id: printer.id, clientSecret: printer.clientSecret, name };
  console.log(`# set up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${origin()}, tenant ${tenant.slug}`);
}, { timeout: 120_000 });

stopAfterAll(state);

browserTest("approved on the page: sign in first, then the printer named; the next poll gets an ID token naming the person", async ({ page }) => {
  const codes = await deviceAuthorization();
  const pending = await poll(codes);
  assert.equal(pending.status, 400, JSON.stringify(pending.body));
  assert.equal(pending.body.error, "authorization_pending");

  // Not signed in: the page says to sign in first, and shows nothing of the device.
  await page.goto(codes.verification_uri_complete);
  await page.getByRole("heading", { name: "Sign in a device", level: 1 }).waitFor();
  await page.getByText("Sign in to this service in this browser first").waitFor();
  assert.equal(await page.getByText(state.printer.name).count(), 0, "the device is not named before sign-in");
  await photograph(page, "sign-in-first");

  await signInOnHostedPage(page);
  await expectConfirmPage(page, codes);
  await photograph(page, "confirm");
  const [decided] = await Promise.all([
    page.waitForResponse((response) => response.url().startsWith(`${issuer()}/device`) && response.request().method() === "POST"),
    page.getByRole("button", { name: "Sign it in" }).click(),
  ]);
  assert.equal(decided.status(), 200);
  await page.getByRole("status").getByText(`${state.printer.name} is signed in. You may close this page.`).waitFor();
  await photograph(page, "approved");

  const answer = await pollUntilAnswered(codes);
  assert.equal(answer.status, 200, `the poll after approval: ${JSON.stringify(answer.body)} (polls: ${JSON.stringify(answer.seen)})`);
  const tokens = answer.body;
  assert.equal(typeof tokens.access_token, "string");
  assert.equal(typeof tokens.id_token, "string");
  const jwks = createRemoteJWKSet(new URL(`${issuer()}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: issuer(), audience: state.printer.id });
  assert.equal(payload.sub, state.person.id);
  assert.equal(payload.preferred_username, state.person.username);
  assert.equal(payload.given_name, "Pia");
  assert.equal(payload.family_name, "Print");

  // Spent: the device code gets nothing more; the link now says the code is not valid.
  const again = await pollUntilAnswered(codes);
  assert.equal(again.status, 400);
  assert.equal(again.body.error, "invalid_grant");
  const reopened = await page.goto(codes.verification_uri_complete);
  assert.equal(reopened.status(), 404);
  await page.getByText("This code is not valid or has expired.").waitFor();
  await photograph(page, "used-code");
});

browserTest("refused on the page: the poll answers access_denied", async ({ page }) => {
  await signInOnHostedPage(page);
  const codes = await deviceAuthorization();
  await expectConfirmPage(page, codes);
  await page.getByRole("button", { name: "Refuse" }).click();
  await page.getByRole("status").getByText(`${state.printer.name} was refused and is not signed in.`).waitFor();
  await photograph(page, "denied");

  const answer = await pollUntilAnswered(codes);
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.error, "access_denied");
});
