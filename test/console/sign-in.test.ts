// Signing in to the tenant admin console, /t/{tenant}/console (rules P, L, S, T): a tenant's admins sign in
// with MyQ credentials; only an active admin of the tenant in the path gets in, checked again on every
// request. The session lives in an HttpOnly, SameSite=Lax cookie scoped to that tenant's console and holding
// nothing but an opaque secret, which is no refresh token for the API. Holes closed: console access by
// non-admins, sessions that outlive deactivation, demotion or sign-out, and a console session usable as an
// API session.
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { openTenant, uniqueSlug } from "../support/tenants";
import { refreshTokenClaims } from "../support/tokens";
import { CLIENT_ID, PASSWORD, seedUser, tokensFor } from "../support/users";
import {
  ADMIN,
  Browser,
  consoleOf,
  consoleSessions,
  consoleSignIn,
  csrfOf,
  expectSecurityHeaders,
  locationOf,
  page,
  setCookieOf,
  signedInBrowser,
} from "./support";

describe("signing in to the console", () => {
  it("S the sign-in page is a plain, labelled form with a CSRF token bound to a Strict cookie", async () => {
    const { name } = await openTenant(eu);
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
    const { name, adminId } = await openTenant(eu);
    const browser = new Browser();
    const response = await consoleSignIn(browser, name, ADMIN, PASSWORD);
    expect(locationOf(response)).toBe(`${consoleOf(name)}/users`);
    expectSecurityHeaders(response);

    const cookie = setCookieOf(response, "printid_console")!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43,}$/);
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
    // The cookie holds the session's first refresh token, and nothing else.
    expect(refreshTokenClaims(cookie.value)).toEqual({ sessionId: sessions[0]?.id, generation: 0 });

    const users = await page(browser, `${consoleOf(name)}/users`);
    expect(users.html).toContain(`admin@${name}.example`);
    const root = await browser.get(consoleOf(name));
    expect(locationOf(root)).toBe(`${consoleOf(name)}/users`);
  });

  it("L a login by e-mail in any case works too", async () => {
    const { name } = await openTenant(eu);
    await signedInBrowser(name, `ADMIN@${name.toUpperCase()}.example`);
  });

  it("L a wrong password answers 401 on the page, keeps the login, never echoes the password, and is recorded", async () => {
    const { name, id } = await openTenant(eu);
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
    const { name } = await openTenant(eu);
    await eu.db.prepare("UPDATE tenants SET lockout_max_attempts = 2 WHERE slug = ?").bind(name).run();
    const browser = new Browser();
    expect((await consoleSignIn(browser, name, ADMIN, "wrong one")).status).toBe(401);
    const locked = await consoleSignIn(browser, name, ADMIN, "wrong two");
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await locked.text()).toMatch(/the account is locked\. Try again in \d+ minutes?\./);
    expect((await consoleSignIn(browser, name, ADMIN, PASSWORD)).status).toBe(429);
  });

  it("P L a user who is not an admin is refused (403): the right password opens no session, and the attempt is recorded as forbidden", async () => {
    const { name, id } = await openTenant(eu);
    const user = await seedUser(eu, id);
    const browser = new Browser();
    const response = await consoleSignIn(browser, name, user.username, user.password);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("The console is for administrators.");
    expect(setCookieOf(response, "printid_console")).toBeUndefined();
    expect(await consoleSessions(user.id)).toEqual([]);
    const attempts = await eu.db
      .prepare("SELECT success, code, client_id FROM sign_in_attempts WHERE user_id = ?")
      .bind(user.id)
      .all<{ success: number; code: string | null; client_id: string }>();
    expect(attempts.results).toEqual([{ success: 0, code: "forbidden", client_id: "printid-console" }]);
    expect(locationOf(await browser.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
  });

  it("P a deactivated admin is told the account is not active (403), after the right password only", async () => {
    const { name, id } = await openTenant(eu);
    const other = await seedUser(eu, id, { roles: ["admin"], active: false, activatedAt: Date.now() });
    const response = await consoleSignIn(new Browser(), name, other.username, other.password);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("The account has been deactivated");
    const wrong = await consoleSignIn(new Browser(), name, other.username, "not the password");
    expect(wrong.status).toBe(401);
  });

  it("P without a session every page sends the browser to the sign-in page", async () => {
    const { name } = await openTenant(eu);
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
    const { name } = await openTenant(eu);
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
    const { name } = await openTenant(eu);
    const tokens = await tokensFor(eu, name, ADMIN);
    const browser = new Browser();
    browser.plant("printid_console", tokens.refresh_token, consoleOf(name));
    expect(locationOf(await browser.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
  });

  it("P a console session is over when its secret was spent, its session expired, or it is older than the console allows", async () => {
    const { name } = await openTenant(eu);
    const changes = [
      // Its token exchanged: the session has moved on to the next generation.
      "UPDATE sessions SET refresh_generation = refresh_generation + 1, refreshed_at = ? WHERE id = ?",
      "UPDATE sessions SET expires_at = ? WHERE id = ?",
      // 12 hours and a minute ago: the console's limit, far below the API's 30-day sessions.
      "UPDATE sessions SET created_at = ? - 43260000 WHERE id = ?",
    ];
    for (const change of changes) {
      const browser = await signedInBrowser(name);
      await page(browser, `${consoleOf(name)}/users`);
      const { sessionId } = refreshTokenClaims(browser.cookie("printid_console")!);
      await eu.db.prepare(change).bind(Date.now(), sessionId).run();
      expect(locationOf(await browser.get(`${consoleOf(name)}/users`)), change).toBe(`${consoleOf(name)}/sign-in`);
    }
  });

  it("P after sign-out the cookie no longer works, even replayed", async () => {
    const { name, adminId } = await openTenant(eu);
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
    const { name, id } = await openTenant(eu);
    const other = await seedUser(eu, id, { roles: ["admin"] });
    const browser = await signedInBrowser(name, other.username, other.password);
    const admin = await signedInBrowser(name);
    const { csrf } = await page(admin, `${consoleOf(name)}/users`);
    expect(locationOf(await admin.post(`${consoleOf(name)}/users/${other.id}/deactivate`, { csrf }))).toContain("done=deactivated");
    expect(locationOf(await browser.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
  });

  it("P an admin demoted after signing in is out at the next request, with the reason", async () => {
    const { name, id } = await openTenant(eu);
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
