// End to end, a passkey enrolled and used on the hosted pages (issue 16): the eu Worker under `wrangler dev` at
// http://localhost (WebAuthn takes no IP address as relying party), Debian's headless Chromium (playwright-core)
// as the person, with the DevTools protocol's virtual authenticator (WebAuthn.addVirtualAuthenticator: an
// internal CTAP2 authenticator that keeps discoverable credentials and verifies its person) answering
// navigator.credentials, and a public web client (PKCE) whose redirect URI is a tiny HTTP server of this file.
// The person signs in with the password, opens the account's "Second factors" page, where the passkey script
// shows "Add a passkey", adds one (the authenticator makes it; the recovery codes of a first factor show once),
// sees it listed, and signs out; then signs in with the passkey alone, no password typed: first as the login
// field's suggestion (conditional mediation), then, in a browser without it, with "Sign in with a passkey" (each
// time the client's code redeems to an ID token whose amr says hwk and mfa); and once more with the password,
// where the second step is answered with "Use a passkey" (amr pwd, hwk, mfa). Every page is photographed at 1280 and
// 390 px (test-results/passkeys-{page}-{width}.png), and at 390 px must not scroll sideways. Run with
// `npm run test:e2e`; it starts and stops everything it needs.
import assert from "node:assert/strict";
import { before } from "node:test";
import {
  authorizationRequest,
  browserTestOf,
  launchChromium,
  photographerOf,
  redeemAtCallback,
  startRelyingParty,
  startWorker,
  stopAfterAll,
  tenantWithPerson,
  typePassword,
} from "./support.mjs";

const PASSWORD = "a long and fine password";
/** The app's public client, through which the test's admin uses the JSON API. */
const APP = { id: "printid-mobile", redirectUris: ["dev.printid.app:/oauth/callback"] };
/** A web application (public, PKCE) whose authorization request brings the person to the hosted sign-in. */
const WEB = { id: "e2e-passkeys-web", name: "E2E Passkeys Web" };
/** The virtual authenticator: a platform one (internal), CTAP2, discoverable credentials, the person verified. */
const AUTHENTICATOR = { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true };

const state = { worker: undefined, browser: undefined, rp: undefined, tenant: undefined, person: undefined };

const callbackUrl = () => `${state.rp.origin}/callback`;
const issuer = () => `${state.worker.origin}/t/${state.tenant}`;
const request = () => authorizationRequest({ issuer: issuer(), clientId: WEB.id, redirectUri: callbackUrl() });

const photograph = photographerOf("passkeys");
const browserTest = browserTestOf(state, "passkeys", 60_000);

/** The page's virtual authenticator (DevTools protocol, WebAuthn domain): its id and the session that drives it. */
async function virtualAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", { options: AUTHENTICATOR });
  return { cdp, authenticatorId };
}

before(async () => {
  const started = Date.now();
  // First, so that a machine without Chromium fails before anything else starts.
  state.browser = await launchChromium();
  state.rp = await startRelyingParty();
  state.worker = await startWorker({ host: "localhost", vars: { CLIENTS: JSON.stringify([APP, { id: WEB.id, name: WEB.name, redirectUris: [callbackUrl()] }]) } });
  const person = { username: "kim.key", password: PASSWORD, firstName: "Kim", lastName: "Key" };
  const tenant = await tenantWithPerson(state.worker, { prefix: "e2e-passkeys", displayName: "Passkeys Print Co", appClientId: APP.id, person });
  state.tenant = tenant.slug;
  state.person = tenant.person;
  console.log(`# set up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${state.worker.origin}, tenant ${tenant.slug}`);
}, { timeout: 120_000 });

stopAfterAll(state);

browserTest("a passkey added on the account's page by the virtual authenticator, then a sign-in with it alone (amr hwk, mfa), and as the second step", async ({ context, page }) => {
  const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
  const person = { username: state.person.username, password: PASSWORD };

  const first = request();
  assert.equal((await typePassword(page, first, person)).status(), 303, "no second factor yet: straight to the client");
  assert.deepEqual((await redeemAtCallback(page, first)).amr, ["pwd"]);

  // The account's page: the passkey script shows "Add a passkey" (no factor to confirm first).
  await page.goto(`${issuer()}/account/factors`);
  await page.getByRole("heading", { name: "Second factors", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Add a passkey" }).waitFor();
  await photograph(page, "none");
  await page.getByLabel("Name of the passkey").fill("This laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();

  // The authenticator made a discoverable credential; a first factor brings its recovery codes, this once.
  await page.getByRole("heading", { name: "Save your recovery codes", level: 1 }).waitFor();
  assert.equal((await page.locator("ul.codes li").allTextContents()).length, 10);
  await photograph(page, "recovery-codes");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1, JSON.stringify(credentials));
  assert.equal(credentials[0].isResidentCredential, true);
  assert.equal(credentials[0].rpId, "localhost");
  await page.getByRole("link", { name: "Continue" }).click();
  await page.getByText("Passkey: This laptop", { exact: true }).waitFor();
  await page.getByText("10 recovery codes left.").waitFor();
  await photograph(page, "listed");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Signed out", level: 1 }).waitFor();

  // A passkey alone, nothing typed. Where the browser offers passkeys among the login field's suggestions
  // (conditional mediation), the page asks at once; with no one to choose in headless Chromium, the virtual
  // authenticator answers with its one passkey, and the page goes on to the client.
  const second = request();
  await page.goto(second.url);
  const byConditional = await redeemAtCallback(page, second);
  assert.equal(byConditional.sub, state.person.id);
  assert.ok(byConditional.amr.includes("hwk") && byConditional.amr.includes("mfa"), JSON.stringify(byConditional.amr));

  // A browser without conditional mediation: "Sign in with a passkey".
  await page.addInitScript(() => Object.defineProperty(PublicKeyCredential, "isConditionalMediationAvailable", { value: async () => false }));
  const third = request();
  third.url += "&prompt=login";
  await page.goto(third.url);
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  const passkeyButton = page.getByRole("button", { name: "Sign in with a passkey" });
  await passkeyButton.waitFor();
  await photograph(page, "sign-in");
  await passkeyButton.click();
  const byButton = await redeemAtCallback(page, third);
  assert.equal(byButton.sub, state.person.id);
  assert.ok(byButton.amr.includes("hwk") && byButton.amr.includes("mfa"), JSON.stringify(byButton.amr));

  // The password again (a fresh sign-in): the passkey is now a second factor, which it answers.
  const fourth = request();
  fourth.url += "&prompt=login";
  assert.equal((await typePassword(page, fourth, person)).status(), 401, "the second step's page");
  await page.getByRole("heading", { name: "Two-step verification", level: 1 }).waitFor();
  await page.getByText("Use your passkey, or enter one of your recovery codes.").waitFor();
  await photograph(page, "second-step");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  assert.deepEqual((await redeemAtCallback(page, fourth)).amr, ["pwd", "hwk", "mfa"]);
});
