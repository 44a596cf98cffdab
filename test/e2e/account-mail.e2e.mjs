// End to end, the accounts people prove and recover from the messages printid sends (issue 14, "Done when",
// second point), in Debian's headless Chromium (playwright-core) against the eu Worker under `wrangler dev`
// (workerd, local D1, every shard migrated). The messages are those `wrangler dev` itself took from the
// `send_email` binding (support.mjs `sentMail`: its log names each message's recipient and the files holding
// its text). Three people, one tenant that requires a confirmed address (rule E):
// 1. a registration is refused sign-in (403 email_unverified) until its message's link is opened and the
//    address confirmed; the link then works no more;
// 2. "Forgot your password?" on the hosted sign-in page (a public RP client, PKCE), the message, the reset
//    page, a new password: the old one is refused, the new one signs in through the hosted page (a code);
// 3. an invitation the admin sends through the admin API, the message, the invitation page, a password:
//    the invited person signs in.
// Every page is photographed at 1280 and 390 px (test-results/account-{page}-{width}.png), and at 390 px
// none may scroll sideways. Run with `npm run test:e2e`; it starts and stops everything it needs.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { api, createTenant, launchChromium, linkIn, newContext, secret, shot, startWorker, submitPassword, waitForMail, DESKTOP, photographerOf } from "./support.mjs";

/** The app's public client, of the JSON API. */
const APP = { id: "printid-mobile", redirectUri: "dev.printid.app:/oauth/callback" };
/** A web application signing people in through the hosted pages: public, PKCE. */
const WEB = { id: "e2e-account-web", name: "E2E Account Web" };

const state = { worker: undefined, browser: undefined, rp: undefined, tenant: undefined };
const pat = { email: "", password: "a fine long password", newPassword: "another fine long password" };
const ivy = { username: "ivy.invited", email: "", password: "ivy's own long password" };

const origin = () => state.worker.origin;
const tenantUrl = (path) => `${origin()}/t/${state.tenant.slug}${path}`;
const callbackUrl = () => `${state.rp.origin}/callback`;

/** The RP's redirect URI: a tiny page that says where it is. */
function startRelyingParty() {
  const server = createServer((req, res) => {
    res.writeHead(new URL(req.url, "http://127.0.0.1").pathname === "/callback" ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><title>RP</title><p>The relying party.</p></html>`);
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` }));
  });
}

/** A JSON sign-in of the app: its status and body. */
const signIn = (login, password) => api(origin(), `/t/${state.tenant.slug}/sign-in`, { body: { login, password, clientId: APP.id } });

/** The admin API of the tenant: `method path` with `body`, asserting `expected`. */
async function admin(method, path, body, expected) {
  const answer = await api(origin(), `/t/${state.tenant.slug}/admin${path}`, { method, body, headers: state.tenant.admin });
  assert.equal(answer.status, expected, `${method} /admin${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** The hosted sign-in page's URL for the web client: a code request with PKCE and state. */
function authorizeUrl() {
  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    response_type: "code",
    client_id: WEB.id,
    redirect_uri: callbackUrl(),
    scope: "openid profile email",
    state: randomBytes(12).toString("base64url"),
    nonce: randomBytes(12).toString("base64url"),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  return { url: tenantUrl(`/authorize?${query}`), state: query.get("state") };
}

const photograph = photographerOf("account");

/** Clicks the form's button and resolves to the answer of the POST it makes. */
async function submit(page, button) {
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.request().method() === "POST" && response.request().isNavigationRequest()),
    page.getByRole("button", { name: button }).click(),
  ]);
  await page.waitForLoadState();
  return answer;
}

/** Runs `steps` in a fresh browser context; on failure, a screenshot and what wrangler dev said. */
async function inBrowser(name, steps) {
  const context = await newContext(state.browser, { viewport: DESKTOP });
  const page = await context.newPage();
  try {
    await steps(page);
  } catch (error) {
    await shot(page, `account-failure-${name}.png`).catch(() => {});
    const said = state.worker.output();
    if (said) console.error(`wrangler dev said:\n${said.slice(-8000)}`);
    throw error;
  } finally {
    await context.close();
  }
}

before(async () => {
  state.rp = await startRelyingParty();
  state.worker = await startWorker({
    // info: wrangler dev logs each message the send_email binding took (support.mjs sentMail).
    logLevel: "info",
    vars: {
      CLIENTS: JSON.stringify([
        { id: APP.id, redirectUris: [APP.redirectUri] },
        { id: WEB.id, name: WEB.name, redirectUris: [callbackUrl()] },
      ]),
    },
  });
  const slug = `e2e-mail-${randomBytes(3).toString("hex")}`;
  const adminPassword = `admin-${secret(9)}`;
  await createTenant(state.worker, {
    name: slug,
    displayName: "E2E Mail Co",
    settings: { allowRegistration: true, newUsersActiveByDefault: true },
    admin: { username: "admin", email: `admin@${slug}.example`, password: adminPassword, firstName: "Ada", lastName: "Admin" },
  });
  state.tenant = { slug, displayName: "E2E Mail Co" };
  const signedIn = await signIn("admin", adminPassword);
  assert.equal(signedIn.status, 200, `admin sign-in: ${JSON.stringify(signedIn.body)}`);
  state.tenant.admin = { authorization: `Bearer ${signedIn.body.access_token}` };
  const settings = await admin("PATCH", "/settings", { emailConfirmationRequired: true }, 200);
  assert.equal(settings.emailConfirmationRequired, true, JSON.stringify(settings));
  pat.email = `pat.new@${slug}.example`;
  ivy.email = `ivy@${slug}.example`;
  state.browser = await launchChromium();
}, { timeout: 150_000 });

after(async () => {
  await state.browser?.close().catch(() => {});
  await state.worker?.stop();
  await new Promise((resolve) => (state.rp ? state.rp.server.close(resolve) : resolve()));
}, { timeout: 30_000 });

test("E a registration is refused sign-in until the address is confirmed from the sent message", { timeout: 120_000 }, async () => {
  const registered = await api(origin(), `/t/${state.tenant.slug}/register`, {
    body: { email: pat.email, password: pat.password, firstName: "Pat", lastName: "New", clientId: APP.id },
  });
  assert.equal(registered.status, 202, JSON.stringify(registered.body));
  assert.equal(registered.body.status, "email_unverified");
  assert.equal(registered.body.user.emailVerified, false);

  const refused = await signIn(pat.email, pat.password);
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.equal(refused.body.code, "email_unverified", JSON.stringify(refused.body));
  assert.equal(refused.body.access_token, undefined);

  const message = await waitForMail(state.worker, pat.email);
  assert.match(message.subject, /E2E Mail Co/);
  assert.match(message.from, /E2E Mail Co/);
  const link = linkIn(message, tenantUrl("/account/email/verify?token="));
  assert.ok(message.html?.includes(link.replaceAll("&", "&amp;")) || message.html?.includes(link), "the HTML part carries the same link");

  await inBrowser("verify", async (page) => {
    await page.goto(link);
    await page.getByRole("heading", { name: "Confirm your e-mail address" }).waitFor();
    await page.getByText(state.tenant.displayName, { exact: true }).first().waitFor();
    // Opening the link spends nothing: only the form does.
    assert.equal((await signIn(pat.email, pat.password)).status, 403);
    await photograph(page, "verify");
    const answer = await submit(page, "Confirm my address");
    assert.equal(answer.status(), 200);
    await page.getByText("Your e-mail address is confirmed.").waitFor();
    await photograph(page, "verify-done");

    // The link works once.
    await page.goto(link);
    const again = await submit(page, "Confirm my address");
    assert.ok(again.status() >= 400, `the link used again answered ${again.status()}`);
    await photograph(page, "verify-used");
  });

  const signedIn = await signIn(pat.email, pat.password);
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  assert.equal(typeof signedIn.body.access_token, "string");
  const me = await api(origin(), `/t/${state.tenant.slug}/me`, { method: "GET", headers: { authorization: `Bearer ${signedIn.body.access_token}` } });
  assert.equal(me.body?.emailVerified ?? me.body?.user?.emailVerified, true, JSON.stringify(me.body));
});

test("L a forgotten password is reset from the hosted sign-in page and the sent message", { timeout: 120_000 }, async () => {
  await inBrowser("reset", async (page) => {
    const request = authorizeUrl();
    await page.goto(request.url);
    await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
    await photograph(page, "sign-in");

    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL((url) => url.pathname === `/t/${state.tenant.slug}/account/password/forgot`);
    await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
    await photograph(page, "forgot");
    await page.getByLabel("Username or e-mail").fill(pat.email.toUpperCase());
    const asked = await submit(page, "Send me a link");
    assert.equal(asked.status(), 200);
    await page.getByText("a message with a link is on its way").waitFor();
    await photograph(page, "forgot-sent");

    // The message: Pat's second (the first confirmed the address).
    const message = await waitForMail(state.worker, pat.email, { seen: 1 });
    assert.match(message.subject, /password/i);
    const link = linkIn(message, tenantUrl("/account/password/reset?token="));

    const resetPage = await page.context().newPage();
    await resetPage.goto(link);
    await resetPage.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await photograph(resetPage, "reset");
    await resetPage.getByLabel("New password").fill(pat.newPassword);
    const changed = await submit(resetPage, "Change my password");
    assert.equal(changed.status(), 200);
    await resetPage.getByText("Your password is changed.").waitFor();
    await photograph(resetPage, "reset-done");
    await resetPage.close();

    // Back on the first tab: "Back to sign-in" returns to the same request.
    await page.getByRole("link", { name: "Back to sign-in" }).click();
    await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
    const old = await submitPassword(page, pat.email, pat.password);
    assert.equal(old.status(), 401, "the old password is refused");
    await page.getByText("The username, e-mail or password is not correct.").waitFor();
    const fresh = await submitPassword(page, pat.email, pat.newPassword);
    assert.equal(fresh.status(), 303, `the new password answered ${fresh.status()}`);
    await page.waitForURL((url) => url.href.startsWith(callbackUrl()));
    const callback = new URL(page.url());
    assert.ok(callback.searchParams.get("code"), `no code at ${page.url()}`);
    assert.equal(callback.searchParams.get("state"), request.state);
  });

  assert.equal((await signIn(pat.email, pat.password)).status, 401, "the old password, through the API");
  assert.equal((await signIn(pat.email, pat.newPassword)).status, 200, "the new password, through the API");
});

test("an invitation the admin sends is accepted from the sent message, then its person signs in", { timeout: 120_000 }, async () => {
  const created = await admin("POST", "/users", { username: ivy.username, email: ivy.email, firstName: "Ivy", lastName: "Invited", invite: true }, 201);
  assert.equal(created.username, ivy.username);

  const message = await waitForMail(state.worker, ivy.email);
  assert.match(message.subject, /invited to E2E Mail Co/);
  const link = linkIn(message, tenantUrl("/account/invitation?token="));
  assert.notEqual((await signIn(ivy.username, ivy.password)).status, 200, "no sign-in before the invitation is accepted");

  await inBrowser("invitation", async (page) => {
    await page.goto(link);
    await page.getByRole("heading", { name: "Welcome" }).waitFor();
    await page.getByText("You are invited to E2E Mail Co.").waitFor();
    await photograph(page, "invitation");
    await page.getByLabel("Password").fill(ivy.password);
    const accepted = await submit(page, "Set my password");
    assert.equal(accepted.status(), 200);
    await page.getByText("Your account is ready.").waitFor();
    await photograph(page, "invitation-done");
  });

  const signedIn = await signIn(ivy.username, ivy.password);
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  assert.equal((await signIn(ivy.email, ivy.password)).status, 200, "by e-mail too");
});
