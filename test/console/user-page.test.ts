// The console's user page and what an admin does from it (rules P, L, T, S): the account as the admin API
// knows it, plus created, last sign-in, linked providers and the user's own recent attempts; granting and
// revoking the admin role through the admin API's own change, whose last-active-admin rule the page follows
// (neither Deactivate nor Remove offered) and the server enforces anyway; Deactivate only after a
// confirmation page. Holes closed: an admin role that cannot be granted (the last-admin refusal's advice
// could not be followed), a demotion that leaves the tenant without an admin, a one-click deactivation, and
// another tenant's user shown.
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { seedIdentity, seedUser, signIn, WRONG_PASSWORD } from "../support/users";
import { attemptRows, Browser, consoleOf, consoleSignIn, locationOf, page, signedInBrowser, userRow } from "./support";

const rolesOf = async (id: string) =>
  JSON.parse((await eu.db.prepare("SELECT roles FROM users WHERE id = ?").bind(id).first<{ roles: string }>())!.roles) as string[];

describe("the user page", () => {
  it("R L it shows the account, created, last sign-in, linked providers, and this user's attempts only", async () => {
    const { name, id } = await openTenant(eu);
    const user = await seedUser(eu, id, { email: "vera@example.com" });
    await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    await seedIdentity(eu, { tenantId: id, userId: user.id, provider: "google", subject: `g-${user.id}` });
    await signIn(eu, name, { login: user.username, password: WRONG_PASSWORD }, { "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36" });
    expect((await signIn(eu, name, { login: user.username, password: user.password })).status).toBe(200);
    await signIn(eu, name, { login: "someone-else", password: WRONG_PASSWORD });

    const browser = await signedInBrowser(name);
    const { html } = await page(browser, `${consoleOf(name)}/users/${user.id}`);
    expect(html).toContain("<title>Test User · printid console</title>");
    for (const fact of [user.username, "vera@example.com · verified", "Work", "Active</span>", "Google"]) expect(html).toContain(fact);
    // Last sign-in: the successful one just made, to the second.
    expect(html).toMatch(/<dt>Last sign-in<\/dt><dd><time class="nowrap" datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/time>/);
    const rows = attemptRows(html);
    expect(rows.map((row) => [row.Login, row.Outcome])).toEqual([
      [user.username, "Success"],
      [user.username, "Wrong login or password"],
    ]);
    // The user agent in short, the whole of it on hover.
    expect(rows[1]?.["User agent"]).toBe("Chrome 126 · Windows");
    expect(html).toContain('title="Mozilla/5.0 (Windows NT 10.0; Win64; x64)');
    expect(html).toContain(`href="${consoleOf(name)}/sign-in-attempts?user=${user.username}"`);
  });

  it("P an admin makes a user admin, who then gets into the console; removing the role puts them out at their next click", async () => {
    const { name, id } = await openTenant(eu);
    const user = await seedUser(eu, id);
    const admin = await signedInBrowser(name);
    const before = await page(admin, `${consoleOf(name)}/users/${user.id}`);
    expect(before.html).toContain(`action="${consoleOf(name)}/users/${user.id}/grant-admin"`);
    expect((await consoleSignIn(new Browser(), name, user.username, user.password)).status).toBe(403);

    const granted = await admin.post(`${consoleOf(name)}/users/${user.id}/grant-admin`, { csrf: before.csrf, from: "user" });
    expect(locationOf(granted)).toBe(`${consoleOf(name)}/users/${user.id}?done=admin_granted`);
    const after = await page(admin, locationOf(granted));
    expect(after.html).toContain(`Test User (${user.username}) is now an admin of this tenant.`);
    expect(await rolesOf(user.id)).toEqual(["admin"]);
    const theirs = await signedInBrowser(name, user.username, user.password);

    const revoked = await admin.post(`${consoleOf(name)}/users/${user.id}/revoke-admin`, { csrf: after.csrf, from: "user" });
    expect(locationOf(revoked)).toBe(`${consoleOf(name)}/users/${user.id}?done=admin_revoked`);
    expect(await rolesOf(user.id)).toEqual([]);
    const out = await theirs.get(`${consoleOf(name)}/users`);
    expect(out.status).toBe(403);
    expect(await out.text()).toContain("The console is for administrators.");
  });

  it("P the last active admin is offered neither Deactivate nor Remove admin role; forced, both are refused and nothing changes", async () => {
    const { name, adminId } = await openTenant(eu);
    const browser = await signedInBrowser(name);
    const { html, csrf } = await page(browser, `${consoleOf(name)}/users/${adminId}`);
    expect(html).toContain("last active admin");
    expect(html).not.toContain("/revoke-admin");
    expect(html).not.toContain("/deactivate");
    const list = await page(browser, `${consoleOf(name)}/users`);
    expect(list.html).toContain("Last active admin</span>");
    expect(list.html).not.toContain(`/users/${adminId}/deactivate`);

    const demoted = await browser.post(`${consoleOf(name)}/users/${adminId}/revoke-admin`, { csrf, from: "user" });
    expect(locationOf(demoted)).toBe(`${consoleOf(name)}/users/${adminId}?error=last_admin`);
    expect((await page(browser, locationOf(demoted))).html).toContain("cannot be deactivated or lose the admin role");
    const confirm = await page(browser, `${consoleOf(name)}/users/${adminId}/deactivate`);
    expect(confirm.html).toContain("is the tenant&#39;s last active admin and cannot be deactivated");
    expect(confirm.html).not.toContain(`action="${consoleOf(name)}/users/${adminId}/deactivate"`);
    expect(await rolesOf(adminId)).toEqual(["admin"]);
    expect((await userRow(adminId))?.active).toBe(1);
  });

  it("P with a second admin, either can be deactivated or demoted, each offered", async () => {
    const { name, id, adminId } = await openTenant(eu);
    await seedUser(eu, id, { roles: ["admin"] });
    const browser = await signedInBrowser(name);
    const { html } = await page(browser, `${consoleOf(name)}/users/${adminId}`);
    expect(html).toContain(`action="${consoleOf(name)}/users/${adminId}/revoke-admin"`);
    expect(html).toContain(`href="${consoleOf(name)}/users/${adminId}/deactivate?from=user"`);
  });

  it("P Deactivate asks first: the list links to a page that says what it does, whose button deactivates, and Cancel goes back", async () => {
    const { name, id } = await openTenant(eu);
    const user = await seedUser(eu, id);
    const browser = await signedInBrowser(name);
    const list = await page(browser, `${consoleOf(name)}/users?q=${user.username}`);
    const confirmUrl = `${consoleOf(name)}/users/${user.id}/deactivate?q=${user.username}`;
    expect(list.html).toContain(`href="${confirmUrl}"`);
    expect(list.html).not.toContain(`action="${consoleOf(name)}/users/${user.id}/deactivate"`);
    expect((await userRow(user.id))?.active).toBe(1);

    const confirm = await page(browser, confirmUrl);
    expect(confirm.html).toContain("every session they have open ends at once");
    expect(confirm.html).toContain(`<a href="${consoleOf(name)}/users?q=${user.username}">Cancel</a>`);
    const done = await browser.post(`${consoleOf(name)}/users/${user.id}/deactivate`, { csrf: confirm.csrf, q: user.username });
    expect(locationOf(done)).toBe(`${consoleOf(name)}/users?q=${user.username}&done=deactivated&user=${user.id}`);
    expect((await page(browser, locationOf(done))).html).toContain(`Test User (${user.username}) has been deactivated; their sessions have ended.`);
    expect((await userRow(user.id))?.active).toBe(0);
  });

  it("T another tenant's user is a 404 page here, and changes nothing", async () => {
    const { name } = await openTenant(eu);
    const other = await openTenant(eu);
    const stranger = await seedUser(eu, other.id);
    const browser = await signedInBrowser(name);
    const shown = await browser.get(`${consoleOf(name)}/users/${stranger.id}`);
    expect(shown.status).toBe(404);
    expect(shown.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await shown.text()).not.toContain(stranger.username);
    const { csrf } = await page(browser, `${consoleOf(name)}/users`);
    const forced = await browser.post(`${consoleOf(name)}/users/${stranger.id}/grant-admin`, { csrf, from: "user" });
    expect(locationOf(forced)).toBe(`${consoleOf(name)}/users?error=not_found`);
    expect(await rolesOf(stranger.id)).toEqual([]);
  });

  it("S an unknown console page, or a malformed user id, is an HTML page, not JSON", async () => {
    const { name } = await openTenant(eu);
    const browser = await signedInBrowser(name);
    for (const path of ["/no-such-page", "/users/not-a-uuid", "/users/00000000-0000-4000-8000-000000000000/nothing"]) {
      const response = await browser.get(consoleOf(name) + path);
      expect(response.status).toBe(404);
      expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(await response.text()).toContain("<!doctype html>");
    }
  });
});
