// The tenant admin console, /t/{tenant}/console (rules P, R, S, T, L): server-rendered pages on which a
// tenant's admins sign in with MyQ credentials, switch "allow users to register" and "new registered users
// are active by default", activate pending registrations and deactivate users, and read the sign-in
// attempts. Only an active admin of the tenant in the path gets in, checked again on every request; the
// session lives in an HttpOnly, SameSite=Lax cookie scoped to that tenant's console and holding nothing
// but an opaque secret; every form is CSRF-protected (same origin, and a token), and a refused form
// changes nothing; the tenant's last active admin cannot be deactivated. Holes closed: cross-site form
// posts, console access by non-admins or by another tenant's admin, sessions that outlive deactivation or
// sign-out, and admin pages cached or framed.
import { describe, expect, it } from "vitest";
import { sha256 } from "../../src/crypto/secrets";
import { eu } from "../support/regions";
import { createTenant, json, uniqueSlug } from "../support/tenants";
import { bearer, CLIENT_ID, PASSWORD, seedUser, signIn, tokensFor } from "../support/users";
import {
  Browser,
  consoleOf,
  consoleSignIn,
  csrfOf,
  expectSecurityHeaders,
  locationOf,
  page,
  setCookieOf,
  signedInBrowser,
} from "./support";

const ADMIN = "admin";

/** A tenant of its own, with the two User management switches as the test needs them. */
async function tenantWith(settings: { allowRegistration?: boolean; newUsersActiveByDefault?: boolean } = {}) {
  const { name, body } = await createTenant(eu, uniqueSlug("console"), {
    settings: { allowRegistration: true, newUsersActiveByDefault: true, ...settings },
  });
  return { name, id: body.id, adminId: body.admin.id };
}

function register(tenant: string, email: string) {
  return eu.fetch(`/t/${tenant}/register`, json({ email, password: PASSWORD, clientId: CLIENT_ID }));
}

async function registeredPending(tenant: string, email: string): Promise<string> {
  const response = await register(tenant, email);
  expect(response.status).toBe(202);
  return ((await response.json()) as { user: { id: string } }).user.id;
}

async function userRow(id: string) {
  return eu.db
    .prepare("SELECT active, activated_at FROM users WHERE id = ?")
    .bind(id)
    .first<{ active: number; activated_at: number | null }>();
}

async function adminSettings(tenant: string) {
  const { access_token } = await tokensFor(eu, tenant, ADMIN);
  const response = await eu.fetch(`/t/${tenant}/admin/settings`, { headers: bearer(access_token) });
  expect(response.status).toBe(200);
  return (await response.json()) as { allowRegistration: boolean; newUsersActiveByDefault: boolean; lockout: unknown };
}

/** The `printid-console` sessions of a user, as stored. */
async function consoleSessions(userId: string) {
  const { results } = await eu.db
    .prepare("SELECT id, revoked_at FROM sessions WHERE user_id = ? AND client_id = 'printid-console'")
    .bind(userId)
    .all<{ id: string; revoked_at: number | null }>();
  return results;
}

describe("signing in to the console", () => {
  it("S the sign-in page is a plain, labelled form with a CSRF token bound to a Strict cookie", async () => {
    const { name } = await tenantWith();
    const browser = new Browser();
    const response = await browser.get(`${consoleOf(name)}/sign-in`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html; charset=utf-8/i);
    expectSecurityHeaders(response);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html><html lang="en">/);
    expect(html).toContain("<main");
    expect(html).toMatch(/<h1>[^<]*administration<\/h1>/);
    expect(html).toContain('<label for="login">');
    expect(html).toContain('<label for="password">');
    expect(html).toContain(`action="${consoleOf(name)}/sign-in"`);
    expect(html).not.toContain("<script");

    const cookie = setCookieOf(response, "printid_console_csrf")!;
    expect(cookie.value).toBe(csrfOf(html));
    expect(cookie.attributes.get("path")).toBe(consoleOf(name));
    expect(cookie.attributes.has("httponly")).toBe(true);
    expect(cookie.attributes.get("samesite")).toBe("Strict");
    expect(cookie.attributes.has("secure")).toBe(true); // the test Worker's ORIGIN is https
  });

  it("P an admin signs in: an HttpOnly, Secure, SameSite=Lax cookie scoped to the tenant's console, holding a live session's secret", async () => {
    const { name, adminId } = await tenantWith();
    const browser = new Browser();
    const response = await consoleSignIn(browser, name, ADMIN, PASSWORD);
    expect(locationOf(response)).toBe(`${consoleOf(name)}/users`);
    expectSecurityHeaders(response);

    const cookie = setCookieOf(response, "printid_console")!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes.get("path")).toBe(consoleOf(name));
    expect(cookie.attributes.has("httponly")).toBe(true);
    expect(cookie.attributes.has("secure")).toBe(true);
    expect(cookie.attributes.get("samesite")).toBe("Lax");
    const maxAge = Number(cookie.attributes.get("max-age"));
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(30 * 24 * 3600);
    // The sign-in form's token has served its purpose.
    expect(setCookieOf(response, "printid_console_csrf")?.attributes.get("max-age")).toBe("0");

    const sessions = await consoleSessions(adminId);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.revoked_at).toBeNull();

    const users = await page(browser, `${consoleOf(name)}/users`);
    expect(users.html).toContain(`admin@${name}.example`);
    const root = await browser.get(consoleOf(name));
    expect(locationOf(root)).toBe(`${consoleOf(name)}/users`);
  });

  it("L a login by e-mail in any case works too", async () => {
    const { name } = await tenantWith();
    await signedInBrowser(name, `ADMIN@${name.toUpperCase()}.example`);
  });

  it("L a wrong password answers 401 on the page, keeps the login, never echoes the password, and is recorded", async () => {
    const { name, id } = await tenantWith();
    const browser = new Browser();
    const response = await consoleSignIn(browser, name, ADMIN, "not the password");
    expect(response.status).toBe(401);
    expectSecurityHeaders(response);
    const html = await response.text();
    expect(html).toContain("The login or password is not correct.");
    expect(html).toContain('value="admin"');
    expect(html).not.toContain("not the password");
    expect(setCookieOf(response, "printid_console")).toBeUndefined();
    const attempt = await eu.db
      .prepare("SELECT login, success, code, client_id FROM sign_in_attempts WHERE tenant_id = ? ORDER BY id DESC LIMIT 1")
      .bind(id)
      .first();
    expect(attempt).toEqual({ login: ADMIN, success: 0, code: "invalid_credentials", client_id: "printid-console" });
  });

  it("L repeated failures lock the account: 429 with Retry-After and the reason on the page", async () => {
    const { name } = await tenantWith();
    await eu.db.prepare("UPDATE tenants SET lockout_max_attempts = 2 WHERE slug = ?").bind(name).run();
    const browser = new Browser();
    expect((await consoleSignIn(browser, name, ADMIN, "wrong one")).status).toBe(401);
    const locked = await consoleSignIn(browser, name, ADMIN, "wrong two");
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await locked.text()).toMatch(/the account is locked\. Try again in \d+ minutes?\./);
    expect((await consoleSignIn(browser, name, ADMIN, PASSWORD)).status).toBe(429);
  });

  it("P a user who is not an admin is refused (403) and the session the password opened is revoked at once", async () => {
    const { name, id } = await tenantWith();
    const user = await seedUser(eu, id);
    const browser = new Browser();
    const response = await consoleSignIn(browser, name, user.username, user.password);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("The console is for administrators.");
    expect(setCookieOf(response, "printid_console")).toBeUndefined();
    const sessions = await consoleSessions(user.id);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.revoked_at).not.toBeNull();
    expect(locationOf(await browser.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
  });

  it("P a deactivated admin is told the account is not active (403), after the right password only", async () => {
    const { name, id } = await tenantWith();
    const other = await seedUser(eu, id, { roles: ["admin"], active: false, activatedAt: Date.now() });
    const response = await consoleSignIn(new Browser(), name, other.username, other.password);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("The account has been deactivated");
    const wrong = await consoleSignIn(new Browser(), name, other.username, "not the password");
    expect(wrong.status).toBe(401);
  });

  it("P without a session every page sends the browser to the sign-in page", async () => {
    const { name } = await tenantWith();
    const browser = new Browser();
    for (const path of ["", "/users", "/settings", "/sign-in-attempts"]) {
      const response = await browser.get(consoleOf(name) + path);
      expect(locationOf(response)).toBe(`${consoleOf(name)}/sign-in`);
      expectSecurityHeaders(response);
    }
    browser.plant("printid_console", "not-a-session", consoleOf(name));
    const forged = await browser.get(`${consoleOf(name)}/users`);
    expect(locationOf(forged)).toBe(`${consoleOf(name)}/sign-in`);
    expect(setCookieOf(forged, "printid_console")?.attributes.get("max-age")).toBe("0");
  });

  it("S the session cookie is no refresh token for the API (console sessions are not a registered client's)", async () => {
    const { name } = await tenantWith();
    const browser = await signedInBrowser(name);
    const secret = browser.cookie("printid_console")!;
    for (const clientId of ["printid-console", CLIENT_ID]) {
      const response = await eu.fetch(`/t/${name}/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: secret, client_id: clientId }),
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
    }
    // ...and it still works in the console: nothing spent it.
    await page(browser, `${consoleOf(name)}/users`);
  });

  it("P a refresh token of the app's own session is not a console session, even an admin's", async () => {
    const { name } = await tenantWith();
    const tokens = await tokensFor(eu, name, ADMIN);
    const browser = new Browser();
    browser.plant("printid_console", tokens.refresh_token, consoleOf(name));
    expect(locationOf(await browser.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
  });

  it("P a console session is over when its secret was spent, its session expired, or it is older than the console allows", async () => {
    const { name } = await tenantWith();
    const changes = [
      "UPDATE refresh_tokens SET spent_at = ? WHERE token_hash = ?",
      "UPDATE refresh_tokens SET expires_at = ? WHERE token_hash = ?",
      "UPDATE sessions SET expires_at = ? WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = ?)",
      // 12 hours and a minute ago: the console's limit, far below the API's 30-day sessions.
      "UPDATE sessions SET created_at = ? - 43260000 WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = ?)",
    ];
    for (const change of changes) {
      const browser = await signedInBrowser(name);
      await page(browser, `${consoleOf(name)}/users`);
      const hash = await sha256(browser.cookie("printid_console")!);
      await eu.db.prepare(change).bind(Date.now(), hash).run();
      expect(locationOf(await browser.get(`${consoleOf(name)}/users`)), change).toBe(`${consoleOf(name)}/sign-in`);
    }
  });

  it("P after sign-out the cookie no longer works, even replayed", async () => {
    const { name, adminId } = await tenantWith();
    const browser = await signedInBrowser(name);
    const secret = browser.cookie("printid_console")!;
    const { csrf } = await page(browser, `${consoleOf(name)}/users`);
    const response = await browser.post(`${consoleOf(name)}/sign-out`, { csrf });
    expect(locationOf(response)).toBe(`${consoleOf(name)}/sign-in?done=signed_out`);
    expect(setCookieOf(response, "printid_console")?.attributes.get("max-age")).toBe("0");
    expect((await consoleSessions(adminId))[0]?.revoked_at).not.toBeNull();

    const replay = new Browser();
    replay.plant("printid_console", secret, consoleOf(name));
    expect(locationOf(await replay.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
    const signedOutPage = await browser.get(`${consoleOf(name)}/sign-in?done=signed_out`);
    expect(await signedOutPage.text()).toContain("You have signed out.");
  });

  it("P an admin deactivated by another admin is out at their next request", async () => {
    const { name, id } = await tenantWith();
    const other = await seedUser(eu, id, { roles: ["admin"] });
    const browser = await signedInBrowser(name, other.username, other.password);
    const admin = await signedInBrowser(name);
    const { csrf } = await page(admin, `${consoleOf(name)}/users`);
    expect(locationOf(await admin.post(`${consoleOf(name)}/users/${other.id}/deactivate`, { csrf }))).toContain("done=deactivated");
    expect(locationOf(await browser.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
  });

  it("P an admin demoted after signing in is out at the next request, with the reason", async () => {
    const { name, id } = await tenantWith();
    const other = await seedUser(eu, id, { roles: ["admin"] });
    const browser = await signedInBrowser(name, other.username, other.password);
    await eu.db.prepare("UPDATE users SET roles = '[]' WHERE id = ?").bind(other.id).run();
    const response = await browser.get(`${consoleOf(name)}/users`);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("The console is for administrators.");
    expect((await consoleSessions(other.id))[0]?.revoked_at).not.toBeNull();
  });

  it("S an unknown tenant's console is a 404 page, not a JSON document", async () => {
    const response = await eu.fetch(`${consoleOf(uniqueSlug("nobody"))}/sign-in`);
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("There is no tenant");
  });
});

describe("users: pending registrations, activation and deactivation", () => {
  it("R a registration that waits for activation is listed under pending; Activate lets the user sign in", async () => {
    const { name } = await tenantWith({ newUsersActiveByDefault: false });
    const userId = await registeredPending(name, "pending.person@example.com");
    expect((await signIn(eu, name, { login: "pending.person@example.com", password: PASSWORD })).status).toBe(403);

    const browser = await signedInBrowser(name);
    const pending = await page(browser, `${consoleOf(name)}/users?status=pending`);
    expect(pending.html).toContain("pending.person@example.com");
    expect(pending.html).toContain("Pending activation</span>");
    expect(pending.html).not.toContain(`admin@${name}.example`);
    expect(pending.html).toContain(`action="${consoleOf(name)}/users/${userId}/activate"`);

    const response = await browser.post(`${consoleOf(name)}/users/${userId}/activate`, { csrf: pending.csrf, status: "pending" });
    expect(locationOf(response)).toBe(`${consoleOf(name)}/users?status=pending&done=activated`);
    const after = await page(browser, locationOf(response));
    expect(after.html).toContain("The user is now active and can sign in.");
    expect(after.html).not.toContain("pending.person@example.com");
    expect((await userRow(userId))?.active).toBe(1);

    const signedIn = await signIn(eu, name, { login: "pending.person@example.com", password: PASSWORD });
    expect(signedIn.status).toBe(200);
  });

  it("P Deactivate ends the user's access at their next API request; the list says Deactivated", async () => {
    const { name, id } = await tenantWith();
    const user = await seedUser(eu, id);
    const { access_token } = await tokensFor(eu, name, user.username);
    expect((await eu.fetch(`/t/${name}/me`, { headers: bearer(access_token) })).status).toBe(200);

    const browser = await signedInBrowser(name);
    const { csrf } = await page(browser, `${consoleOf(name)}/users?q=${user.username}`);
    const response = await browser.post(`${consoleOf(name)}/users/${user.id}/deactivate`, { csrf, q: user.username });
    expect(locationOf(response)).toBe(`${consoleOf(name)}/users?q=${user.username}&done=deactivated`);

    const me = await eu.fetch(`/t/${name}/me`, { headers: bearer(access_token) });
    expect([401, 403]).toContain(me.status);
    const list = await page(browser, `${consoleOf(name)}/users?status=inactive`);
    expect(list.html).toContain(user.username);
    expect(list.html).toContain("Deactivated</span>");
  });

  it("P the last active admin deactivating themself gets a clear message and stays active", async () => {
    const { name, adminId } = await tenantWith();
    const browser = await signedInBrowser(name);
    const { csrf } = await page(browser, `${consoleOf(name)}/users`);
    const response = await browser.post(`${consoleOf(name)}/users/${adminId}/deactivate`, { csrf });
    expect(locationOf(response)).toBe(`${consoleOf(name)}/users?error=last_admin`);
    const after = await page(browser, locationOf(response));
    expect(after.html).toContain("The tenant&#39;s last active admin cannot be deactivated.");
    expect(after.html).toContain('role="alert"');
    expect((await userRow(adminId))?.active).toBe(1);
  });

  it("S a flash message is one of the console's own sentences: a crafted one shows nothing", async () => {
    const { name } = await tenantWith();
    const browser = await signedInBrowser(name);
    const crafted = await page(browser, `${consoleOf(name)}/users?done=%3Cb%3Eowned%3C%2Fb%3E&error=hacked`);
    expect(crafted.html).not.toContain("owned");
    expect(crafted.html).not.toContain("hacked");
    expect(crafted.html).not.toContain('role="alert"');
  });

  it("S what users typed is escaped on the page", async () => {
    const { name, id } = await tenantWith();
    await eu.db.prepare("UPDATE users SET first_name = ? WHERE tenant_id = ?").bind("<script>alert(1)</script>", id).run();
    const browser = await signedInBrowser(name);
    const { html } = await page(browser, `${consoleOf(name)}/users?q=%3Cscript%3E`);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  const LONG_MAIL = `${"q".repeat(40)}.%_${"z".repeat(30)}@long-mail.example`;
  const LOOKALIKE = `${"q".repeat(40)}.xx${"z".repeat(30)}@long-mail.example`;

  it.each<[string, string, string[]]>([
    ["its first byte", "Q", ["lookalike", "longmail"]],
    ["its first 49 bytes, `%` and `_` among them", LONG_MAIL.slice(0, 49), ["longmail"]],
    ["its first 50 bytes", LONG_MAIL.slice(0, 50), ["longmail"]],
    ["its first 51 bytes", LONG_MAIL.slice(0, 51), ["longmail"]],
    ["all of it in upper case", LONG_MAIL.toUpperCase(), ["longmail"]],
  ])("R the search box finds a long e-mail by %s, literally and in any case", async (_what, q, expected) => {
    const { name, id } = await tenantWith();
    await seedUser(eu, id, { username: "longmail", email: LONG_MAIL });
    await seedUser(eu, id, { username: "lookalike", email: LOOKALIKE });
    const browser = await signedInBrowser(name);
    const { html } = await page(browser, `${consoleOf(name)}/users?q=${encodeURIComponent(q)}`);
    expect([...html.matchAll(/<th scope="row">([^<]+)<\/th>/g)].map((row) => row[1])).toEqual(expected);
    expect(html).toContain('maxlength="100"');
  });

  it("R the list pages with a Next page link, newest first", async () => {
    const { name, id } = await tenantWith();
    for (let i = 0; i < 51; i++) await seedUser(eu, id, { username: `bulk-${String(i).padStart(2, "0")}` });
    const browser = await signedInBrowser(name);
    const first = await page(browser, `${consoleOf(name)}/users?q=bulk`);
    expect(first.html.match(/<th scope="row">bulk-/g)).toHaveLength(50);
    const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.html)?.[1];
    expect(next).toBeDefined();
    const second = await page(browser, next!.replaceAll("&amp;", "&"));
    expect(second.html.match(/<th scope="row">bulk-/g)).toHaveLength(1);
    expect(second.html).not.toContain("Next page");
  });
});

describe("settings: the two User management switches", () => {
  it("R the switches change the admin API's settings and what a registration gets (202, then 201)", async () => {
    const { name } = await tenantWith({ allowRegistration: true, newUsersActiveByDefault: true });
    const browser = await signedInBrowser(name);
    const before = await page(browser, `${consoleOf(name)}/settings`);
    expect(before.html).toContain('<label for="allowRegistration">Allow users to register in the system</label>');
    expect(before.html).toContain('<label for="newUsersActiveByDefault">New registered users are active by default</label>');
    expect(before.html).toMatch(/id="newUsersActiveByDefault" name="newUsersActiveByDefault" checked=""/);
    const lockoutBefore = (await adminSettings(name)).lockout;

    // Untick "active by default" (an unticked checkbox is simply not sent).
    const saved = await browser.post(`${consoleOf(name)}/settings`, { csrf: before.csrf, allowRegistration: "on" });
    expect(locationOf(saved)).toBe(`${consoleOf(name)}/settings?done=saved`);
    expect(await adminSettings(name)).toMatchObject({ allowRegistration: true, newUsersActiveByDefault: false, lockout: lockoutBefore });
    expect((await register(name, "first@example.com")).status).toBe(202);
    const after = await page(browser, `${consoleOf(name)}/settings?done=saved`);
    expect(after.html).toContain("The settings are saved.");
    expect(after.html).not.toMatch(/id="newUsersActiveByDefault" name="newUsersActiveByDefault" checked/);

    await browser.post(`${consoleOf(name)}/settings`, { csrf: after.csrf, allowRegistration: "on", newUsersActiveByDefault: "on" });
    expect(await adminSettings(name)).toMatchObject({ allowRegistration: true, newUsersActiveByDefault: true });
    expect((await register(name, "second@example.com")).status).toBe(201);

    await browser.post(`${consoleOf(name)}/settings`, { csrf: after.csrf });
    expect(await adminSettings(name)).toMatchObject({ allowRegistration: false, newUsersActiveByDefault: false });
    expect((await register(name, "third@example.com")).status).toBe(403);
  });
});

describe("CSRF: every console form", () => {
  it("S a form post without the token, with a wrong one, or from another origin is refused (403) and changes nothing", async () => {
    const { name } = await tenantWith({ allowRegistration: true, newUsersActiveByDefault: true });
    const userId = await (async () => {
      await eu.fetch(`/t/${name}/admin/settings`, {
        method: "PATCH",
        headers: { ...bearer((await tokensFor(eu, name, ADMIN)).access_token), "Content-Type": "application/json" },
        body: JSON.stringify({ newUsersActiveByDefault: false }),
      });
      return registeredPending(name, "waiting@example.com");
    })();
    const browser = await signedInBrowser(name);
    const { csrf } = await page(browser, `${consoleOf(name)}/users`);
    const settingsBefore = await adminSettings(name);

    const sameOrigin = { Origin: eu.origin };
    const attempts: [string, Record<string, string>, Record<string, string>][] = [
      ["no token", {}, sameOrigin],
      ["a wrong token", { csrf: csrf.replace(/^./, (char) => (char === "A" ? "B" : "A")) }, sameOrigin],
      ["another session's token", { csrf: csrfOf((await page(await signedInBrowser(name), `${consoleOf(name)}/users`)).html) }, sameOrigin],
      ["the right token from another origin", { csrf }, { Origin: "https://evil.example" }],
      ["the right token, cross-site by Sec-Fetch-Site and no Origin", { csrf }, { "Sec-Fetch-Site": "cross-site" }],
      ["the right token and no word of its origin", { csrf }, {}],
    ];
    for (const [what, fields, headers] of attempts) {
      for (const path of [`/users/${userId}/activate`, "/settings", "/sign-out"]) {
        const response = await browser.fetch(consoleOf(name) + path, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
          body: new URLSearchParams({ ...fields, allowRegistration: "on" }),
        });
        expect(response.status, `${what} on ${path}`).toBe(403);
        expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
        expect(await response.text()).toContain("This form was refused");
        expectSecurityHeaders(response);
      }
    }
    expect(await userRow(userId)).toMatchObject({ active: 0, activated_at: null });
    expect(await adminSettings(name)).toEqual(settingsBefore);
    // The session survived every forged sign-out.
    await page(browser, `${consoleOf(name)}/users`);
  });

  it("S a JSON body (which the origin check lets through) is no form: refused (400) even with the form's token", async () => {
    const { name } = await tenantWith();
    const browser = await signedInBrowser(name);
    const { csrf } = await page(browser, `${consoleOf(name)}/users`);
    const response = await browser.fetch(`${consoleOf(name)}/settings`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ csrf }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("This form could not be used, and nothing was changed.");
    expect(await adminSettings(name)).toMatchObject({ allowRegistration: true, newUsersActiveByDefault: true });
  });

  it("S the sign-in form needs its double-submit cookie and the same value in the form, from this origin", async () => {
    const { name, id } = await tenantWith();
    const path = `${consoleOf(name)}/sign-in`;
    const browser = new Browser();
    const csrf = csrfOf(await (await browser.get(path)).text());
    const credentials = { login: ADMIN, password: PASSWORD };

    expect((await browser.post(path, credentials)).status).toBe(403);
    expect((await browser.post(path, { ...credentials, csrf: "x".repeat(43) })).status).toBe(403);
    expect((await browser.post(path, { ...credentials, csrf }, { Origin: "https://evil.example" })).status).toBe(403);
    expect((await new Browser().post(path, { ...credentials, csrf })).status).toBe(403); // no cookie
    const { count } = (await eu.db.prepare("SELECT count(*) AS count FROM sessions WHERE tenant_id = ?").bind(id).first<{ count: number }>())!;
    expect(count).toBe(0);

    expect(locationOf(await browser.post(path, { ...credentials, csrf }))).toBe(`${consoleOf(name)}/users`);
  });
});

describe("tenants: one tenant's console never acts on another", () => {
  it("T tenant A's session cookie on tenant B's console is sent to B's sign-in, and changes nothing there", async () => {
    const a = await tenantWith();
    const b = await tenantWith({ newUsersActiveByDefault: false });
    const pendingInB = await registeredPending(b.name, "b.user@example.com");
    const browserA = await signedInBrowser(a.name);
    const { csrf } = await page(browserA, `${consoleOf(a.name)}/users`);

    const replay = new Browser();
    replay.plant("printid_console", browserA.cookie("printid_console")!, consoleOf(b.name));
    expect(locationOf(await replay.get(`${consoleOf(b.name)}/users`))).toBe(`${consoleOf(b.name)}/sign-in`);
    const post = await replay.post(`${consoleOf(b.name)}/users/${pendingInB}/activate`, { csrf });
    expect(locationOf(post)).toBe(`${consoleOf(b.name)}/sign-in`);
    expect(await userRow(pendingInB)).toMatchObject({ active: 0 });
  });

  it("T tenant A's admin naming tenant B's user in A's console finds no such user", async () => {
    const a = await tenantWith();
    const b = await tenantWith({ newUsersActiveByDefault: false });
    const pendingInB = await registeredPending(b.name, "b.other@example.com");
    const browserA = await signedInBrowser(a.name);
    const { csrf } = await page(browserA, `${consoleOf(a.name)}/users`);
    const response = await browserA.post(`${consoleOf(a.name)}/users/${pendingInB}/activate`, { csrf });
    expect(locationOf(response)).toBe(`${consoleOf(a.name)}/users?error=not_found`);
    expect(await userRow(pendingInB)).toMatchObject({ active: 0 });
    expect((await page(browserA, locationOf(response))).html).toContain("There is no such user in this tenant.");
  });

  it("T an admin of tenant A is no one in tenant B's console sign-in", async () => {
    const a = await tenantWith();
    const b = await tenantWith();
    const other = await seedUser(eu, a.id, { roles: ["admin"], username: `only-${a.name}` });
    const response = await consoleSignIn(new Browser(), b.name, other.username, other.password);
    expect(response.status).toBe(401);
  });
});

describe("sign-in attempts", () => {
  it("L the attempts page lists every attempt, newest first, console and app alike", async () => {
    const { name } = await tenantWith();
    await signIn(eu, name, { login: "nobody-here", password: "whatever-it-is" }, { "User-Agent": "PrintApp/1.0" });
    await tokensFor(eu, name, ADMIN);
    const browser = await signedInBrowser(name);
    const response = await browser.get(`${consoleOf(name)}/sign-in-attempts`);
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
    const html = await response.text();
    expect(html).toContain("<caption>");
    const rows = [...html.matchAll(/<tr><td><time datetime="([^"]+)">[^<]+<\/time><\/td><td>([^<]*)<\/td><td>(.*?)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)];
    expect(rows.map((row) => [row[2], row[5]])).toEqual([
      [ADMIN, "printid-console"],
      [ADMIN, CLIENT_ID],
      ["nobody-here", CLIENT_ID],
    ]);
    expect(rows[2]?.[3]).toContain("Wrong login or password");
    expect(rows[0]?.[3]).toContain("Success");
    expect(html).toContain("PrintApp/1.0");
  });
});

describe("the console is no API", () => {
  it("S pages are HTML with the security headers, and the console's routes are not in /openapi.json", async () => {
    const { name } = await tenantWith();
    const browser = await signedInBrowser(name);
    for (const path of ["/users", "/settings", "/sign-in-attempts"]) {
      const response = await browser.get(consoleOf(name) + path);
      expect(response.status).toBe(200);
      expectSecurityHeaders(response);
    }
    const doc = (await (await eu.fetch("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((path) => path.includes("/console"))).toEqual([]);
  });
});
