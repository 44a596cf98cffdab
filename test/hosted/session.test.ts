// The browser's session at the provider (issue 13 point 3) and the hosted sign-in's outcomes: the cookie,
// what forces a fresh sign-in (prompt=login, max_age, id_token_hint), account choice, rule P on every use,
// the refusals in words, registration, CSRF.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { adminAuth, patchSettings } from "../support/admin";
import { setCookieOf } from "../support/browser";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { PASSWORD, seedUser, tenantWithUser, WRONG_PASSWORD } from "../support/users";
import { answerOf, authorization, browserAt, hiddenOf, signInOnPage, tokensOf } from "./flow";

/** A tenant with a user, and a browser signed in on its hosted page (the first request's tokens). */
async function signedInBrowser(settings: Record<string, unknown> = {}) {
  const { name, tenantId, user } = await tenantWithUser(eu, settings);
  const browser = browserAt();
  const request = await authorization();
  const response = await signInOnPage(browser, name, request, user.username, PASSWORD);
  const tokens = await tokensOf(eu, name, request, response);
  return { name, tenantId, user, browser, tokens, response };
}

describe("the browser's session", () => {
  it("S the session cookie is HttpOnly, Secure on https, SameSite=Lax, under the tenant's path only", async () => {
    const { name, response } = await signedInBrowser();
    const cookie = setCookieOf(response, "printid_session")!;
    expect(cookie.attributes.has("httponly")).toBe(true);
    expect(cookie.attributes.has("secure")).toBe(true);
    expect(cookie.attributes.get("samesite")).toBe("Lax");
    expect(cookie.attributes.get("path")).toBe(`/t/${name}`);
  });

  it("OIDC Core §3.1.2.1 prompt=login and max_age=0 show the page again though the session is live; a large max_age does not", async () => {
    const { name, browser } = await signedInBrowser();
    for (const extra of [{ prompt: "login" }, { max_age: "0" }] as Record<string, string>[]) {
      const response = await browser.get(`/t/${name}/authorize?${(await authorization(extra)).query}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('name="password"');
    }
    const request = await authorization({ max_age: "3600" });
    await tokensOf(eu, name, request, await browser.get(`/t/${name}/authorize?${request.query}`));
  });

  it("OIDC Core §3.1.2.1 (oidcc-max-age-1) max_age=1 over a second after the sign-in asks again; the new ID token's auth_time is the new sign-in's", async () => {
    const { name, user, browser, tokens } = await signedInBrowser();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const request = await authorization({ max_age: "1" });
    const page = await browser.get(`/t/${name}/authorize?${request.query}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const signedInAgain = await browser.post(`/t/${name}/authorize/password`, {
      csrf: hiddenOf(html, "csrf"),
      authorization: hiddenOf(html, "authorization"),
      login: user.username,
      password: PASSWORD,
    });
    const fresh = await tokensOf(eu, name, request, signedInAgain);
    expect(decodeJwt(fresh.id_token).auth_time).toBeGreaterThan(decodeJwt(tokens.id_token).auth_time as number);
  });

  it("OIDC Core §3.1.2.1 prompt=none with the session answers a code; with max_age=0 it is login_required", async () => {
    const { name, browser } = await signedInBrowser();
    const request = await authorization({ prompt: "none" });
    await tokensOf(eu, name, request, await browser.get(`/t/${name}/authorize?${request.query}`));
    const stale = answerOf(await browser.get(`/t/${name}/authorize?${(await authorization({ prompt: "none", max_age: "0" })).query}`));
    expect(stale.get("error")).toBe("login_required");
  });

  it("OIDC Core §3.1.2.1 an id_token_hint naming the session's person is answered; naming another person, prompt=none is login_required", async () => {
    const { name, tenantId, browser, tokens } = await signedInBrowser();
    const same = await authorization({ prompt: "none", id_token_hint: tokens.id_token });
    await tokensOf(eu, name, same, await browser.get(`/t/${name}/authorize?${same.query}`));
    // Another person of the tenant signed in elsewhere: their ID token names someone else.
    const other = await seedUser(eu, tenantId, { username: "other" });
    const elsewhere = browserAt();
    const first = await authorization();
    const theirs = await tokensOf(eu, name, first, await signInOnPage(elsewhere, name, first, other.username, PASSWORD));
    const mismatch = answerOf(await browser.get(`/t/${name}/authorize?${(await authorization({ prompt: "none", id_token_hint: theirs.id_token })).query}`));
    expect(mismatch.get("error")).toBe("login_required");
  });

  it("OIDC Core §3.1.2.1 prompt=select_account offers to continue as the session's person; continuing answers a code", async () => {
    const { name, user, browser } = await signedInBrowser();
    const request = await authorization({ prompt: "select_account" });
    const page = await browser.get(`/t/${name}/authorize?${request.query}`);
    const html = await page.text();
    expect(html).toContain(user.email);
    const continued = await browser.post(`/t/${name}/authorize/continue`, { csrf: hiddenOf(html, "csrf"), authorization: hiddenOf(html, "authorization") });
    const tokens = await tokensOf(eu, name, request, continued);
    expect(decodeJwt(tokens.id_token).sub).toBe(user.id);
  });

  it("P rule P on every use: once the person is deactivated, the session answers nothing (prompt=none is login_required)", async () => {
    const { name, user, browser } = await signedInBrowser();
    await eu.db.prepare("UPDATE users SET active = 0 WHERE id = ?").bind(user.id).run();
    const answer = answerOf(await browser.get(`/t/${name}/authorize?${(await authorization({ prompt: "none" })).query}`));
    expect(answer.get("error")).toBe("login_required");
  });

  it("T a session of one tenant is nobody at another tenant's provider", async () => {
    const { browser } = await signedInBrowser();
    const other = await openTenant(eu);
    const answer = answerOf(await browser.get(`/t/${other.name}/authorize?${(await authorization({ prompt: "none" })).query}`));
    expect(answer.get("error")).toBe("login_required");
  });
});

describe("the sign-in page's refusals, in words", () => {
  it("L a wrong password is the page again (401) saying so, with the login kept; an inactive account says so only after the right password", async () => {
    const { name, tenantId, user } = await tenantWithUser(eu);
    const request = await authorization();
    const wrong = await signInOnPage(browserAt(), name, request, user.username, WRONG_PASSWORD);
    expect(wrong.status).toBe(401);
    const html = await wrong.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain(`value="${user.username}"`);
    const inactive = await seedUser(eu, tenantId, { username: "resting", active: false });
    const refused = await signInOnPage(browserAt(), name, request, inactive.username, PASSWORD);
    expect(refused.status).toBe(403);
  });

  it("L the failure that locks the account answers 429 with Retry-After, on the page", async () => {
    const { name, user } = await tenantWithUser(eu, { lockout: { maxAttempts: 2, lockoutSeconds: 600 } });
    const request = await authorization();
    await signInOnPage(browserAt(), name, request, user.username, WRONG_PASSWORD);
    const locked = await signInOnPage(browserAt(), name, request, user.username, WRONG_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.headers.get("Retry-After")).toBeTruthy();
    expect(locked.headers.get("Location")).toBeNull();
  });

  it("S a form without its CSRF token, or from another site, is refused (403) and signs no one in", async () => {
    const { name, user } = await tenantWithUser(eu);
    const request = await authorization();
    const browser = browserAt();
    const html = await (await browser.get(`/t/${name}/authorize?${request.query}`)).text();
    const fields = { authorization: hiddenOf(html, "authorization"), login: user.username, password: PASSWORD };
    expect((await browser.post(`/t/${name}/authorize/password`, fields)).status).toBe(403);
    const crossSite = await browser.post(`/t/${name}/authorize/password`, { ...fields, csrf: hiddenOf(html, "csrf") }, { Origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(browser.cookie("printid_session")).toBeUndefined();
  });
});

describe("registration on the hosted page (rule R)", () => {
  async function register(settings: Record<string, unknown>) {
    const tenant = await openTenant(eu, settings);
    const request = await authorization({ prompt: "create" });
    const browser = browserAt();
    const page = await browser.get(`/t/${tenant.name}/authorize?${request.query}`);
    const html = await page.text();
    expect(html).toContain('name="email"');
    const email = `new-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const response = await browser.post(`/t/${tenant.name}/authorize/register`, {
      csrf: hiddenOf(html, "csrf"),
      authorization: hiddenOf(html, "authorization"),
      email,
      password: "a long new password",
      firstName: "Nova",
      lastName: "",
      username: "",
    });
    return { tenant, request, response, browser };
  }

  it("R where new users are active at once, registering signs in and answers the client with a code", async () => {
    const { tenant, request, response } = await register({ newUsersActiveByDefault: true });
    const tokens = await tokensOf(eu, tenant.name, request, response);
    expect(decodeJwt(tokens.id_token).sub).toBeTruthy();
  });

  it("R where new users await activation, the page says so (202) and the client gets nothing", async () => {
    const { response, browser } = await register({ newUsersActiveByDefault: false });
    expect(response.status).toBe(202);
    expect(response.headers.get("Location")).toBeNull();
    expect(browser.cookie("printid_session")).toBeUndefined();
  });

  it("R an e-mail already registered is the page again (409), nothing written twice", async () => {
    const tenant = await openTenant(eu);
    const existing = await seedUser(eu, tenant.id, { username: "taken" });
    const request = await authorization();
    const browser = browserAt();
    const html = await (await browser.get(`/t/${tenant.name}/authorize/register?${request.query}`)).text();
    const response = await browser.post(`/t/${tenant.name}/authorize/register`, {
      csrf: hiddenOf(html, "csrf"),
      authorization: hiddenOf(html, "authorization"),
      email: existing.email,
      password: "a long new password",
      firstName: "Copy",
    });
    expect(response.status).toBe(409);
  });

  it("R where registration is off, prompt=create shows the sign-in page, and a registration posted anyway is 403", async () => {
    const closed = await openTenant(eu, { allowRegistration: false });
    const request = await authorization({ prompt: "create" });
    const browser = browserAt();
    const html = await (await browser.get(`/t/${closed.name}/authorize?${request.query}`)).text();
    expect(html).toContain('name="password"');
    expect(html).not.toContain('name="email"');
    const refused = await browser.post(`/t/${closed.name}/authorize/register`, {
      csrf: hiddenOf(html, "csrf"),
      authorization: hiddenOf(html, "authorization"),
      email: "someone@example.com",
      password: "a long new password",
      firstName: "Someone",
    });
    expect(refused.status).toBe(403);
  });

  it("R an admin switching registration off takes effect on the very next page", async () => {
    const { name } = await tenantWithUser(eu, { allowRegistration: true });
    const request = await authorization();
    expect(await (await browserAt().get(`/t/${name}/authorize?${request.query}`)).text()).toContain("/authorize/register");
    await patchSettings({ region: eu, tenant: name, auth: await adminAuth(eu, name) }, { allowRegistration: false });
    expect(await (await browserAt().get(`/t/${name}/authorize?${request.query}`)).text()).not.toContain("/authorize/register");
  });
});
