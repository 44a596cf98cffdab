// The tenant admin console's forms and tenants (rules S, T): every form is CSRF-protected (same origin, and a
// token), a refused form changes nothing, and one tenant's console never acts on another tenant. Holes
// closed: cross-site form posts, JSON posted as a form, and another tenant's admin or session cookie acting
// here.
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { bearer, PASSWORD, seedUser, tokensFor } from "../support/users";
import {
  ADMIN,
  adminSettings,
  Browser,
  consoleOf,
  consoleSignIn,
  csrfOf,
  expectSecurityHeaders,
  locationOf,
  page,
  registeredPending,
  signedInBrowser,
  userRow,
} from "./support";

describe("CSRF: every console form", () => {
  it("S a form post without the token, with a wrong one, or from another origin is refused (403) and changes nothing", async () => {
    const { name } = await openTenant(eu, { allowRegistration: true, newUsersActiveByDefault: true });
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
    const { name } = await openTenant(eu);
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
    const { name, id } = await openTenant(eu);
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
    const a = await openTenant(eu);
    const b = await openTenant(eu, { newUsersActiveByDefault: false });
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
    const a = await openTenant(eu);
    const b = await openTenant(eu, { newUsersActiveByDefault: false });
    const pendingInB = await registeredPending(b.name, "b.other@example.com");
    const browserA = await signedInBrowser(a.name);
    const { csrf } = await page(browserA, `${consoleOf(a.name)}/users`);
    const response = await browserA.post(`${consoleOf(a.name)}/users/${pendingInB}/activate`, { csrf });
    expect(locationOf(response)).toBe(`${consoleOf(a.name)}/users?error=not_found`);
    expect(await userRow(pendingInB)).toMatchObject({ active: 0 });
    expect((await page(browserA, locationOf(response))).html).toContain("There is no such user in this tenant.");
  });

  it("T an admin of tenant A is no one in tenant B's console sign-in", async () => {
    const a = await openTenant(eu);
    const b = await openTenant(eu);
    const other = await seedUser(eu, a.id, { roles: ["admin"], username: `only-${a.name}` });
    const response = await consoleSignIn(new Browser(), b.name, other.username, other.password);
    expect(response.status).toBe(401);
  });
});
