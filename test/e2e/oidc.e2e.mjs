// End to end, printid as an OpenID Provider (issue 13, "Done when", first point): openid-client v6 is the
// relying party, Debian's headless Chromium (playwright-core) the person, the eu Worker under `wrangler dev`
// (workerd, local D1, every shard migrated) the provider, and the local Apple, Google and Microsoft stand-ins
// of `npm run dev` (scripts/stand-in-providers.mjs, in this process) the providers behind it. The RP is a
// confidential client (client_secret_basic, RS256 ID tokens) whose redirect URI is a tiny HTTP server of
// this file; a second, public client (PKCE only, ES256 ID tokens) is the "second application" of the
// browser's session. Through the hosted pages: password sign-in by username and by e-mail; each provider;
// registration on a tenant whose new users are active and on one whose new users wait (the pending page, no
// code); a pending account, a locked one and a deactivated one refused in words; prompt=none with and
// without a session; max_age=0; select_account; logout with and without id_token_hint; then refresh and
// UserInfo. Every page is photographed at 1280 and 390 px into test-results/ (hosted-*.png), and at 390 px
// must not scroll sideways. Run with `npm run test:e2e`; it starts and stops everything it needs.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as client from "openid-client";
import { startStandIns, workerVars } from "../../scripts/stand-in-providers.mjs";
import { api, browserTestOf, createTenant, DESKTOP, launchChromium, newContext, photographerOf, secret, startWorker, submitPassword } from "./support.mjs";

const PASSWORD = "a long and fine password";
const SCOPE = "openid profile email";
/** The app's public client, through which the test's admin uses the JSON API. */
const APP = { id: "printid-mobile", redirectUri: "dev.printid.app:/oauth/callback" };
/** The relying party under test: a web application's server (confidential, RS256 by default). */
const WEB = { id: "e2e-web", name: "E2E Web", secret: secret(32) };
/** A second application of the same tenant: public (PKCE), ES256 ID tokens. */
const SPA = { id: "e2e-spa", name: "E2E Single Page" };

const state = {
  worker: undefined,
  browser: undefined,
  rp: undefined,
  stopStandIns: async () => {},
  /** Every request the RP's server received: { path, query }. */
  rpHits: [],
  /** Tenants by role: slug, display name, admin bearer. */
  open: undefined,
  gated: undefined,
  /** Seeded users of the open tenant, by name: { id, username, email }. */
  users: {},
};

const origin = () => state.worker.origin;
const callbackUrl = () => `${state.rp.origin}/callback`;
const signedOutUrl = () => `${state.rp.origin}/signed-out`;

/** The RP's own server: its redirect URI and its post-logout page, each a tiny page that says where it is. */
function startRelyingParty() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    state.rpHits.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
    res.writeHead(url.pathname === "/callback" || url.pathname === "/signed-out" ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><title>RP ${url.pathname}</title><p>The relying party, at ${url.pathname}.</p></html>`);
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` }));
  });
}

/** The stand-ins as strict as the tests make them (client secrets, Apple's team), each signing in one named person. */
async function startProviders() {
  const appleTeam = { teamId: "E2ETEAM123", keyId: "E2EKEY4567" };
  const secrets = { google: secret(), microsoft: secret() };
  const { configs, stop } = await startStandIns([
    { name: "apple", clientId: "com.printid.e2e.web", nativeClientIds: ["com.printid.e2e.app"], appleTeam, defaultLogin: "pat.provider" },
    { name: "google", clientId: "google-e2e-client", nativeClientIds: ["google-e2e-ios"], clientSecret: secrets.google, defaultLogin: "pat.provider" },
    {
      name: "microsoft", clientId: "microsoft-e2e-client", nativeClientIds: ["microsoft-e2e-native"], clientSecret: secrets.microsoft,
      defaultLogin: "pat.provider", microsoftDirectories: true,
    },
  ]);
  const applePem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" });
  return {
    stop,
    vars: Object.assign({}, ...Object.values(configs).map(workerVars)),
    secrets: {
      GOOGLE_CLIENT_SECRET: secrets.google,
      MICROSOFT_CLIENT_SECRET: secrets.microsoft,
      APPLE_TEAM_ID: appleTeam.teamId,
      APPLE_KEY_ID: appleTeam.keyId,
      APPLE_PRIVATE_KEY: applePem,
    },
  };
}

function clientsVar() {
  const secretHash = createHash("sha256").update(WEB.secret).digest("base64url");
  return JSON.stringify([
    { id: APP.id, redirectUris: [APP.redirectUri] },
    { id: WEB.id, name: WEB.name, redirectUris: [callbackUrl()], postLogoutRedirectUris: [signedOutUrl()], secretHash },
    { id: SPA.id, name: SPA.name, redirectUris: [callbackUrl()], postLogoutRedirectUris: [signedOutUrl()], idTokenSignedResponseAlg: "ES256" },
  ]);
}

/** A tenant through the operator API, and its admin's bearer header through the JSON sign-in. */
async function seedTenant(role, displayName, settings) {
  const slug = `e2e-${role}-${randomBytes(3).toString("hex")}`;
  const adminPassword = `admin-${secret(9)}`;
  await createTenant(state.worker, {
    name: slug,
    displayName,
    settings: { ...settings, providers: { work: ["apple", "google", "microsoft"], personal: ["apple", "google", "microsoft"] } },
    admin: { username: "admin", email: `admin@${slug}.example`, password: adminPassword, firstName: "Ada", lastName: "Admin" },
  });
  const signedIn = await api(origin(), `/t/${slug}/sign-in`, { body: { login: "admin", password: adminPassword, clientId: APP.id } });
  assert.equal(signedIn.status, 200, `admin sign-in to ${slug}: ${JSON.stringify(signedIn.body)}`);
  return { slug, displayName, admin: { authorization: `Bearer ${signedIn.body.access_token}` } };
}

/** The admin API of a tenant: `method path` with `body`, asserting `expected`. */
async function admin(tenant, method, path, body, expected) {
  const answer = await api(origin(), `/t/${tenant.slug}/admin${path}`, { method, body, headers: tenant.admin });
  assert.equal(answer.status, expected, `${method} /admin${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A work account created by the tenant's admin, with a password. */
async function seedUser(tenant, username, firstName, lastName) {
  const body = { username, email: `${username}@${tenant.slug}.example`, password: PASSWORD, firstName, lastName };
  const created = await admin(tenant, "POST", "/users", body, 201);
  return { id: created.id, username, email: body.email };
}

/** openid-client's view of a tenant's issuer for a client: the confidential RP by default. */
function relyingParty(tenant, { app = WEB, auth } = {}) {
  const issuer = new URL(`${origin()}/t/${tenant.slug}`);
  const options = { execute: [client.allowInsecureRequests] };
  if (app === SPA) return client.discovery(issuer, SPA.id, { id_token_signed_response_alg: "ES256" }, client.None(), options);
  return client.discovery(issuer, WEB.id, WEB.secret, auth ?? client.ClientSecretBasic(WEB.secret), options);
}

/** An authorization request of `config`, with PKCE, state and nonce; `extra` adds or overrides parameters. */
async function authorizationRequest(config, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const checks = { pkceCodeVerifier: verifier, expectedState: client.randomState(), expectedNonce: client.randomNonce() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl(),
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    ...extra,
  });
  return { url, checks };
}

const atCallback = (url) => url.href.startsWith(callbackUrl());

/** The code at the callback the page is on, redeemed by openid-client with the request's checks. */
async function redeem(config, page, request, checks = {}) {
  await page.waitForURL(atCallback);
  return client.authorizationCodeGrant(config, new URL(page.url()), { ...request.checks, ...checks });
}

const headerOf = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString());

const photograph = photographerOf("hosted");

/** The sign-in page of `tenant`: its heading, and the tenant's name above it. */
async function expectSignInPage(page, tenant) {
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  await page.getByText(tenant.displayName, { exact: true }).first().waitFor();
}

/** Types MyQ credentials on the sign-in page and submits them (the test users' password unless told). */
const signInAs = (page, login, password = PASSWORD) => submitPassword(page, login, password);

/** The browser's session cookie at `tenant`, if any. */
async function sessionCookie(context, tenant) {
  // Every cookie of the context: one for the origin's URL would leave out those of a narrower path.
  return (await context.cookies()).find((cookie) => cookie.name === "printid_session" && cookie.path === `/t/${tenant.slug}`);
}

const browserTest = browserTestOf(state, "hosted", 60_000);

/** Signs `user` in on the hosted page of `tenant` for the RP: the token response and the request. */
async function signIn(page, tenant, user, config, extra = {}) {
  const request = await authorizationRequest(config, extra);
  await page.goto(request.url.href);
  await expectSignInPage(page, tenant);
  const answer = await signInAs(page, user.username);
  assert.equal(answer.status(), 303, `the password form answered ${answer.status()}`);
  return { tokens: await redeem(config, page, request), request };
}

before(async () => {
  const started = Date.now();
  // First, so that a machine without Chromium fails before anything else starts.
  state.browser = await launchChromium();
  state.rp = await startRelyingParty();
  const providers = await startProviders();
  state.stopStandIns = providers.stop;
  state.worker = await startWorker({ vars: { CLIENTS: clientsVar(), ...providers.vars }, secrets: providers.secrets });
  state.open = await seedTenant("open", "Open Print Co", { allowRegistration: true, newUsersActiveByDefault: true });
  state.gated = await seedTenant("gated", "Gated Print Co", { allowRegistration: true, newUsersActiveByDefault: false });
  // Lockout after 3 failures: the tenant's policy, through the admin API.
  await admin(state.open, "PATCH", "/settings", { lockout: { maxAttempts: 3 } }, 200);
  state.users.sam = await seedUser(state.open, "sam.work", "Sam", "Work");
  state.users.lou = await seedUser(state.open, "lou.locked", "Lou", "Locked");
  state.users.dee = await seedUser(state.open, "dee.gone", "Dee", "Gone");
  await admin(state.open, "PATCH", `/users/${state.users.dee.id}`, { active: false }, 200);
  console.log(`# set up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${origin()}, tenants ${state.open.slug} and ${state.gated.slug}`);
}, { timeout: 120_000 });

after(async () => {
  await state.browser?.close().catch(() => {});
  await state.worker?.stop();
  await state.stopStandIns().catch(() => {});
  await new Promise((resolve) => (state.rp ? state.rp.server.close(resolve) : resolve()));
}, { timeout: 30_000 });

test("discovery names every endpoint the relying party uses, under the tenant's issuer", async () => {
  const config = await relyingParty(state.open);
  const metadata = config.serverMetadata();
  const issuer = `${origin()}/t/${state.open.slug}`;
  assert.equal(metadata.issuer, issuer);
  for (const [member, path] of Object.entries({
    authorization_endpoint: "/authorize",
    token_endpoint: "/token",
    userinfo_endpoint: "/userinfo",
    end_session_endpoint: "/logout",
    jwks_uri: "/.well-known/jwks.json",
  })) {
    assert.equal(metadata[member], issuer + path, member);
  }
  assert.ok(metadata.id_token_signing_alg_values_supported.includes("RS256") && metadata.id_token_signing_alg_values_supported.includes("ES256"));
  assert.ok(metadata.token_endpoint_auth_methods_supported.includes("client_secret_basic"));
});

browserTest("password sign-in by username, then by e-mail in capitals: a code, an RS256 ID token, the session cookie", async ({ context, page }) => {
  const sam = state.users.sam;
  const config = await relyingParty(state.open);
  const request = await authorizationRequest(config);
  await page.goto(request.url.href);
  await expectSignInPage(page, state.open);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await page.getByText(`to continue to ${WEB.name}`).waitFor();
  await photograph(page, "sign-in");
  // PERSONAL ACCOUNT: the tenant allows registration, so it has its tab, with the providers for personal accounts.
  await page.getByRole("link", { name: "PERSONAL ACCOUNT" }).click();
  await page.getByRole("link", { name: "Continue with Microsoft" }).waitFor();
  await photograph(page, "sign-in-personal");
  await page.getByRole("link", { name: "WORK ACCOUNT" }).click();
  await expectSignInPage(page, state.open);

  const answer = await signInAs(page, sam.username);
  assert.equal(answer.status(), 303);
  const tokens = await redeem(config, page, request);
  const claims = tokens.claims();
  assert.equal(claims.sub, sam.id);
  assert.equal(claims.aud, WEB.id);
  assert.equal(claims.preferred_username, sam.username);
  assert.equal(typeof claims.auth_time, "number");
  assert.equal(headerOf(tokens.id_token).alg, "RS256");
  assert.equal(typeof tokens.refresh_token, "string");
  const callback = new URL(page.url());
  assert.equal(callback.searchParams.get("iss"), `${origin()}/t/${state.open.slug}`);
  const cookie = await sessionCookie(context, state.open);
  assert.ok(cookie, "the browser's session cookie");
  assert.ok(cookie.httpOnly && cookie.sameSite === "Lax" && !cookie.secure, JSON.stringify(cookie));

  // By e-mail, in capitals (rule L), in a browser without that session.
  const other = await newContext(state.browser, { viewport: DESKTOP });
  try {
    const second = await other.newPage();
    const byEmail = await authorizationRequest(config);
    await second.goto(byEmail.url.href);
    await expectSignInPage(second, state.open);
    assert.equal((await signInAs(second, sam.email.toUpperCase())).status(), 303);
    assert.equal((await redeem(config, second, byEmail)).claims().sub, sam.id);
  } finally {
    await other.close();
  }
});

browserTest("in French: from ui_locales, and from the browser's Accept-Language without it", async ({ page }) => {
  const config = await relyingParty(state.open);
  const request = await authorizationRequest(config, { ui_locales: "fr" });
  await page.goto(request.url.href);
  await page.getByRole("heading", { name: "Connexion", level: 1 }).waitFor();
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  await page.getByRole("link", { name: "COMPTE PROFESSIONNEL" }).waitFor();
  await photograph(page, "sign-in-fr");

  const french = await newContext(state.browser, { viewport: DESKTOP, locale: "fr-FR" });
  try {
    const other = await french.newPage();
    await other.goto((await authorizationRequest(config)).url.href);
    await other.getByLabel("Nom d'utilisateur ou e-mail").waitFor();
    assert.equal(await other.getAttribute("html", "lang"), "fr");
  } finally {
    await french.close();
  }
});

for (const [provider, account, label] of [
  ["apple", "work", "Apple"],
  ["google", "work", "Google"],
  ["microsoft", "work", "Microsoft"],
  ["microsoft", "personal", "Microsoft"],
]) {
  browserTest(`${provider} (${account.toUpperCase()} ACCOUNT) through its local stand-in: a code for a new ${account} account`, async ({ page }) => {
    const config = await relyingParty(state.open);
    const request = await authorizationRequest(config);
    await page.goto(request.url.href);
    await expectSignInPage(page, state.open);
    if (account === "personal") await page.getByRole("link", { name: "PERSONAL ACCOUNT" }).click();
    await page.getByRole("link", { name: `Continue with ${label}` }).click();
    const tokens = await redeem(config, page, request);
    const sub = tokens.claims().sub;
    const user = await admin(state.open, "GET", `/users/${sub}`, undefined, 200);
    assert.deepEqual(user.identities, [provider]);
    assert.equal(user.kind, account);
    assert.equal(user.active, true);
  });
}

browserTest("registration where new users are active: Create an account, then a code for the new account", async ({ page }) => {
  const config = await relyingParty(state.open);
  const request = await authorizationRequest(config);
  await page.goto(request.url.href);
  await expectSignInPage(page, state.open);
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByRole("heading", { name: "Create an account", level: 1 }).waitFor();
  await photograph(page, "register");
  const email = `nora.new-${randomBytes(3).toString("hex")}@example.com`;
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("First name").fill("Nora");
  await page.getByLabel("Last name (optional)").fill("New");
  await page.getByRole("button", { name: "Create the account" }).click();
  const tokens = await redeem(config, page, request);
  const user = await admin(state.open, "GET", `/users/${tokens.claims().sub}`, undefined, 200);
  assert.equal(user.email, email);
  assert.equal(user.kind, "personal");
  assert.equal(user.active, true);
});

browserTest("registration where new users wait: the pending page and no code; a sign-in then is refused in words", async ({ page }) => {
  const config = await relyingParty(state.gated);
  const request = await authorizationRequest(config);
  const hitsBefore = state.rpHits.length;
  await page.goto(request.url.href);
  await expectSignInPage(page, state.gated);
  await page.getByRole("link", { name: "Create an account" }).click();
  const email = `paula.pending-${randomBytes(3).toString("hex")}@example.com`;
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("First name").fill("Paula");
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.url().endsWith("/authorize/register") && response.request().method() === "POST"),
    page.getByRole("button", { name: "Create the account" }).click(),
  ]);
  assert.equal(answer.status(), 202);
  await page.getByRole("heading", { name: "Account created", level: 1 }).waitFor();
  await page.getByText("awaits an administrator's activation").waitFor();
  await page.getByText(email).waitFor();
  await photograph(page, "pending-activation");
  assert.equal(state.rpHits.length, hitsBefore, "the RP got nothing: no code for a pending account");
  assert.equal(await sessionCookie(page.context(), state.gated), undefined, "no browser session for a pending account");

  // Back to sign-in, with the right password: the page says the account waits.
  await page.getByRole("link", { name: "Back to sign-in" }).click();
  await expectSignInPage(page, state.gated);
  const refused = await signInAs(page, email);
  assert.equal(refused.status(), 403);
  // The JSON sign-in says account_inactive here (its detail names the activation); the page says either.
  await page.getByText(/^This account (is not active|awaits an administrator's activation)/).waitFor();
  await photograph(page, "refused-pending");
  assert.equal(state.rpHits.length, hitsBefore);
});

browserTest("lockout: wrong passwords up to the tenant's maxAttempts lock the account, and the page says so", async ({ page }) => {
  const lou = state.users.lou;
  const config = await relyingParty(state.open);
  const request = await authorizationRequest(config);
  await page.goto(request.url.href);
  await expectSignInPage(page, state.open);
  const first = await signInAs(page, lou.username, "not the password at all");
  assert.equal(first.status(), 401);
  await page.getByText("The username, e-mail or password is not correct.").waitFor();
  assert.equal(await page.getByLabel("Username or e-mail").inputValue(), lou.username, "the login stays typed");
  await photograph(page, "refused-invalid-credentials");
  // maxAttempts is 3: the second failure is still 401, the third locks (429, with Retry-After).
  assert.equal((await signInAs(page, lou.username, "wrong password 2")).status(), 401);
  const locking = await signInAs(page, lou.username, "wrong password 3");
  assert.equal(locking.status(), 429, "the failure that reaches maxAttempts locks");
  assert.ok(Number(await locking.headerValue("retry-after")) > 0, "Retry-After");
  await page.getByText("Too many failed attempts have locked this account for a while.").waitFor();
  // The right password changes nothing while it is locked.
  const right = await signInAs(page, lou.username);
  assert.equal(right.status(), 429);
  await page.getByText("Too many failed attempts have locked this account for a while.").waitFor();
  await photograph(page, "refused-locked");
  assert.ok(!atCallback(new URL(page.url())));
});

browserTest("a deactivated user with the right password: the page says the account is not active, and no code", async ({ page }) => {
  const config = await relyingParty(state.open);
  const request = await authorizationRequest(config);
  const hitsBefore = state.rpHits.length;
  await page.goto(request.url.href);
  await expectSignInPage(page, state.open);
  const answer = await signInAs(page, state.users.dee.username);
  assert.equal(answer.status(), 403);
  await page.getByText("This account is not active. Ask your administrator to activate it.").waitFor();
  await photograph(page, "refused-inactive");
  assert.equal(state.rpHits.length, hitsBefore);
});

browserTest("prompt=none without a browser session: login_required at the callback, with state and iss", async ({ page }) => {
  const config = await relyingParty(state.open);
  const request = await authorizationRequest(config, { prompt: "none" });
  await page.goto(request.url.href);
  await page.waitForURL(atCallback);
  const callback = new URL(page.url());
  assert.equal(callback.searchParams.get("error"), "login_required");
  assert.equal(callback.searchParams.get("state"), request.checks.expectedState);
  assert.equal(callback.searchParams.get("iss"), `${origin()}/t/${state.open.slug}`);
  await assert.rejects(client.authorizationCodeGrant(config, callback, request.checks), (error) => {
    assert.ok(error instanceof client.AuthorizationResponseError, String(error));
    assert.equal(error.error, "login_required");
    return true;
  });
});

browserTest("the browser's session: a second client gets a code with prompt=none (ES256, same auth_time); select_account asks first", async ({ page }) => {
  const web = await relyingParty(state.open);
  const { tokens: first } = await signIn(page, state.open, state.users.sam, web);
  const authTime = first.claims().auth_time;

  // A second application: no page at all, straight back with a code.
  const spa = await relyingParty(state.open, { app: SPA });
  const silent = await authorizationRequest(spa, { prompt: "none" });
  const pages = [];
  page.on("response", (response) => {
    if (response.url().startsWith(origin()) && (response.headers()["content-type"] ?? "").startsWith("text/html")) pages.push(response.url());
  });
  await page.goto(silent.url.href);
  const second = await redeem(spa, page, silent);
  assert.deepEqual(pages, [], "prompt=none showed no page");
  assert.equal(second.claims().sub, state.users.sam.id);
  assert.equal(second.claims().aud, SPA.id);
  assert.equal(second.claims().auth_time, authTime, "the session's sign-in, not a new one");
  assert.equal(headerOf(second.id_token).alg, "ES256");

  // select_account: the page offers the session's person, or another account.
  const choose = await authorizationRequest(spa, { prompt: "select_account" });
  await page.goto(choose.url.href);
  await page.getByRole("heading", { name: "Choose an account", level: 1 }).waitFor();
  await photograph(page, "continue-as");
  await page.getByRole("button", { name: /^Continue as Sam Work/ }).click();
  assert.equal((await redeem(spa, page, choose)).claims().sub, state.users.sam.id);
});

browserTest("max_age=0: the page asks for the password again despite the session, and auth_time is the new sign-in", async ({ page }) => {
  const config = await relyingParty(state.open);
  const { tokens: first } = await signIn(page, state.open, state.users.sam, config);
  const firstAuthTime = first.claims().auth_time;
  // auth_time counts seconds: the next sign-in is in a later one.
  await sleep(Math.max(0, (firstAuthTime + 1) * 1000 - Date.now() + 50));

  const again = await authorizationRequest(config, { max_age: "0" });
  await page.goto(again.url.href);
  await expectSignInPage(page, state.open);
  assert.ok(!atCallback(new URL(page.url())), "no code without a fresh sign-in");
  assert.equal((await signInAs(page, state.users.sam.username)).status(), 303);
  const tokens = await redeem(config, page, again, { maxAge: 0 });
  assert.equal(tokens.claims().sub, state.users.sam.id);
  assert.ok(tokens.claims().auth_time > firstAuthTime, `auth_time ${tokens.claims().auth_time} after ${firstAuthTime}`);
});

browserTest("logout with id_token_hint: back at the RP with state; the session and the ID token's session are over", async ({ context, page }) => {
  const config = await relyingParty(state.open);
  const { tokens } = await signIn(page, state.open, state.users.sam, config);
  assert.ok(await sessionCookie(context, state.open));

  const logoutState = client.randomState();
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: signedOutUrl(),
    state: logoutState,
  });
  await page.goto(endSession.href);
  await page.waitForURL((url) => url.href.startsWith(signedOutUrl()));
  assert.equal(new URL(page.url()).searchParams.get("state"), logoutState);
  assert.equal(await sessionCookie(context, state.open), undefined, "the session cookie is gone");

  // No session any more: prompt=none is login_required.
  const silent = await authorizationRequest(config, { prompt: "none" });
  await page.goto(silent.url.href);
  await page.waitForURL(atCallback);
  assert.equal(new URL(page.url()).searchParams.get("error"), "login_required");
  // The session the ID token belongs to ended too: its refresh token is refused.
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (error) => {
    assert.equal(error.error, "invalid_grant", String(error));
    return true;
  });
});

browserTest("logout without id_token_hint: the person confirms, then is told they are signed out", async ({ context, page }) => {
  const config = await relyingParty(state.open);
  await signIn(page, state.open, state.users.sam, config);
  await page.goto(client.buildEndSessionUrl(config, {}).href);
  await page.getByRole("heading", { name: `Sign out of ${state.open.displayName}?`, level: 1 }).waitFor();
  await page.getByText(`${WEB.name} asks to sign you out.`).waitFor();
  assert.ok(await sessionCookie(context, state.open), "nothing ends before the person confirms");
  await photograph(page, "logout-confirm");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Signed out", level: 1 }).waitFor();
  await photograph(page, "signed-out");
  assert.equal(await sessionCookie(context, state.open), undefined);
});

browserTest("refresh (client_secret_post) and UserInfo: the same person, claims matching the ID token's sub", async ({ page }) => {
  const config = await relyingParty(state.open);
  const { tokens } = await signIn(page, state.open, state.users.sam, config);
  const sub = tokens.claims().sub;

  const viaPost = await relyingParty(state.open, { auth: client.ClientSecretPost(WEB.secret) });
  const refreshed = await client.refreshTokenGrant(viaPost, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, "rotated");
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.equal(refreshed.claims()?.sub, sub);

  const info = await client.fetchUserInfo(config, refreshed.access_token, sub);
  assert.equal(info.sub, sub);
  assert.equal(info.preferred_username, state.users.sam.username);
  assert.equal(info.given_name, "Sam");
  assert.equal(info.family_name, "Work");
  // The address an admin typed is not proven (rule E): never asserted.
  assert.equal(info.email, undefined);
});

browserTest("an unregistered redirect_uri is a page that says so, never a redirect", async ({ page }) => {
  const config = await relyingParty(state.open);
  const request = await authorizationRequest(config, { redirect_uri: `${state.rp.origin}/elsewhere` });
  const hitsBefore = state.rpHits.length;
  const answer = await page.goto(request.url.href);
  assert.equal(answer.status(), 400);
  await page.getByRole("heading", { name: "This link cannot be used", level: 1 }).waitFor();
  await photograph(page, "error-redirect-uri");
  assert.equal(state.rpHits.length, hitsBefore);
});
