// End to end, in a real browser (Debian's headless Chromium driven by playwright-core) against the real
// runtime (`wrangler dev`, workerd, local D1): an admin signs in to the console, turns "New registered users
// are active by default" off, a registration through the API then waits (202), the admin finds it under
// "Pending activation" and activates it, and the user signs in (200). Rules R and P, through the pages a
// person uses. Run with `npm run test:e2e`; it starts and stops everything it needs, in a temporary
// directory, on free ports, and never reads .dev.vars. A second test (issue 14): the admin opens that user's
// page and makes them an admin, who then gets into the console, and signs one of their app's sessions out
// there (its refresh token then refused); every console page is photographed at 1280 and 390 px
// (test-results/console-{page}-{width}.png), and at 390 px none may scroll sideways.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { api as call, createTenant, launchChromium, newContext, secret, shot, startWorker, STEP_MS, DESKTOP, photographerOf } from "./support.mjs";

const CLIENT_ID = "printid-mobile";


const state = { worker: undefined, browser: undefined, origin: "", tenant: "" };
const pat = { email: "pat.pending@example.com", password: "a fine long password" };
const adminPassword = `admin-${secret(9)}`;

/** A JSON POST to the Worker. */
const api = (path, body) => call(state.origin, path, { body });

before(async () => {
  state.worker = await startWorker({
    vars: { CLIENTS: JSON.stringify([{ id: CLIENT_ID, redirectUris: ["dev.printid.app:/oauth/callback"] }]) },
  });
  state.origin = state.worker.origin;
  state.tenant = `e2e-${randomBytes(4).toString("hex")}`;
  await createTenant(state.worker, {
    name: state.tenant,
    displayName: "E2E Print Co",
    settings: { allowRegistration: true, newUsersActiveByDefault: true },
    admin: { username: "admin", email: `admin@${state.tenant}.example`, password: adminPassword, firstName: "Ada", lastName: "Admin" },
  });
  state.browser = await launchChromium();
}, { timeout: 150_000 });

after(async () => {
  await state.browser?.close().catch(() => {});
  await state.worker?.stop();
}, { timeout: 30_000 });

test("an admin turns off 'active by default', then activates a pending registration in the console", { timeout: 120_000 }, async () => {
  const context = await newContext(state.browser, { viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const console_ = `${state.origin}/t/${state.tenant}/console`;
  const { email, password } = pat;

  try {
    // Signing in: the console root sends a browser without a session to its sign-in page.
    await page.goto(console_);
    assert.equal(page.url(), `${console_}/sign-in`);
    await shot(page, "console-sign-in.png");
    await page.getByLabel("Username or e-mail").fill("admin");
    await page.getByLabel("Password").fill(adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${console_}/users`);
    const cookie = (await context.cookies()).find((c) => c.name === "printid_console");
    assert.ok(cookie?.httpOnly && cookie.sameSite === "Lax" && cookie.path === `/t/${state.tenant}/console` && !cookie.secure);

    // Settings: "New registered users are active by default" off.
    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(`${console_}/settings`);
    const activeByDefault = page.getByLabel("New registered users are active by default");
    assert.equal(await activeByDefault.isChecked(), true);
    await activeByDefault.uncheck();
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(`${console_}/settings?done=saved`);
    await page.getByText("The settings are saved.").waitFor();
    await shot(page, "console-settings.png");
    assert.equal(await page.getByLabel("New registered users are active by default").isChecked(), false);
    assert.equal(await page.getByLabel("Allow users to register in the system").isChecked(), true);

    // A registration through the API now waits for an admin.
    const registered = await api(`/t/${state.tenant}/register`, { email, password, firstName: "Pat", lastName: "Pending", clientId: CLIENT_ID });
    assert.equal(registered.status, 202, JSON.stringify(registered.body));
    assert.equal(registered.body.status, "pending_activation");
    const early = await api(`/t/${state.tenant}/sign-in`, { login: email, password, clientId: CLIENT_ID });
    assert.equal(early.status, 403);

    // The users page lists it as pending.
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await page.waitForURL(`${console_}/users`);
    const row = page.getByRole("row").filter({ hasText: email });
    await row.getByText("Pending activation").waitFor();
    await shot(page, "console-users.png");

    await page.getByRole("link", { name: "Pending activation" }).click();
    await page.waitForURL(`${console_}/users?status=pending`);
    assert.equal(await page.getByRole("row").filter({ hasText: `admin@${state.tenant}.example` }).count(), 0);
    await page.getByRole("row").filter({ hasText: email }).getByRole("button", { name: /^Activate/ }).click();
    await page.waitForURL(new RegExp(`/users\\?status=pending&done=activated&user=`));
    await page.getByText("Pat Pending").filter({ hasText: "is now active and can sign in." }).waitFor();
    assert.equal(await page.getByRole("row").filter({ hasText: email }).count(), 0);

    // The user signs in.
    const signedIn = await api(`/t/${state.tenant}/sign-in`, { login: email, password, clientId: CLIENT_ID });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal(typeof signedIn.body.access_token, "string");

    // The attempts page shows that sign-in; signing out ends the console session.
    await page.getByRole("link", { name: "Sign-in attempts" }).click();
    await page.getByRole("row").filter({ hasText: email }).filter({ hasText: "Success" }).first().waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${console_}/sign-in?done=signed_out`);
    await page.goto(`${console_}/users`);
    assert.equal(page.url(), `${console_}/sign-in`);
  } catch (error) {
    await shot(page, "console-failure.png").catch(() => {});
    const said = state.worker.output();
    if (said) console.error(`wrangler dev said:\n${said}`);
    throw error;
  } finally {
    await context.close();
  }
});

const photograph = photographerOf("console");

/** The refresh_token grant of the app's client (form-encoded, RFC 6749): its status. */
async function refresh(refreshToken) {
  const response = await fetch(`${state.origin}/t/${state.tenant}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: CLIENT_ID }),
    signal: AbortSignal.timeout(STEP_MS),
  });
  return { status: response.status };
}

/** Signs in to the console in a fresh context; the page is at the users list. */
async function consoleSession(login, password) {
  const context = await newContext(state.browser, { viewport: DESKTOP });
  const page = await context.newPage();
  const console_ = `${state.origin}/t/${state.tenant}/console`;
  await page.goto(`${console_}/sign-in`);
  await page.getByLabel("Username or e-mail").fill(login);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  return { context, page, console_ };
}

test("an admin makes a user admin and signs one of their sessions out on the user's page; every console page at 1280 and 390 px", { timeout: 120_000 }, async () => {
  const { context, page, console_ } = await consoleSession("admin", adminPassword);
  let theirs;
  try {
    await page.waitForURL(`${console_}/users`);
    await photograph(page, "users");

    // The user's page, from the list: make them an admin.
    await page.getByRole("row").filter({ hasText: pat.email }).getByRole("link").first().click();
    await page.getByRole("heading", { name: "Account" }).waitFor();
    const userPage = page.url();
    await photograph(page, "user");
    await page.getByRole("button", { name: "Make admin" }).click();
    await page.waitForURL(`${userPage}?done=admin_granted`);
    await page.getByText("is now an admin of this tenant.").waitFor();
    await photograph(page, "user-admin-granted");

    // They get into the console now.
    theirs = await consoleSession(pat.email, pat.password);
    await theirs.page.waitForURL(`${console_}/users`);

    // Their app signs in twice; the admin signs the second session out on the user's page, whose refresh
    // token is then refused while the first's still works.
    const signIn = (userAgent) =>
      call(state.origin, `/t/${state.tenant}/sign-in`, { body: { login: pat.email, password: pat.password, clientId: CLIENT_ID }, headers: { "user-agent": userAgent } });
    const kept = await signIn("PrintApp/1.0 (kept)");
    const ended = await signIn("PrintApp/1.0 (ended)");
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    await page.reload();
    const sessions = page.getByRole("region", { name: "Sessions" });
    const sessionRow = sessions.getByRole("row").filter({ hasText: "PrintApp/1.0 (ended)" });
    await sessionRow.getByText("Password").waitFor();
    await photograph(page, "user-sessions");
    await sessionRow.getByRole("button", { name: /^Sign out/ }).click();
    await page.waitForURL(`${userPage}?done=session_ended`);
    await page.getByText("has been signed out.").waitFor();
    assert.equal(await sessions.getByRole("row").filter({ hasText: "PrintApp/1.0 (ended)" }).count(), 0);
    await sessions.getByRole("row").filter({ hasText: "PrintApp/1.0 (kept)" }).waitFor();
    await photograph(page, "user-session-ended");
    assert.equal((await refresh(ended.body.refresh_token)).status, 400);
    assert.equal((await refresh(kept.body.refresh_token)).status, 200);

    // Deactivate asks first; Cancel changes nothing.
    await page.getByRole("link", { name: /^Deactivate/ }).click();
    await page.getByRole("button", { name: /^Deactivate/ }).waitFor();
    await photograph(page, "deactivate-confirm");
    await page.getByRole("link", { name: "Cancel" }).click();
    await page.waitForURL(userPage);

    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(`${console_}/settings`);
    await photograph(page, "settings");

    await page.getByRole("link", { name: "Sign-in attempts" }).click();
    await page.getByRole("row").filter({ hasText: pat.email }).filter({ hasText: "Success" }).first().waitFor();
    await photograph(page, "attempts");
    await page.getByLabel("Outcome").selectOption("failure");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/outcome=failure/);
    await photograph(page, "attempts-failures");

    await page.goto(`${console_}/sign-in-attempts/archives`);
    await photograph(page, "archives");
    const missing = await page.goto(`${console_}/no-such-page`);
    assert.equal(missing.status(), 404);
    assert.match(missing.headers()["content-type"], /^text\/html/);
    await photograph(page, "not-found");

    await page.goto(`${console_}/users`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${console_}/sign-in?done=signed_out`);
    await photograph(page, "sign-in");
  } catch (error) {
    await shot(page, "console-failure.png").catch(() => {});
    const said = state.worker.output();
    if (said) console.error(`wrangler dev said:\n${said}`);
    throw error;
  } finally {
    await theirs?.context.close();
    await context.close();
  }
});
