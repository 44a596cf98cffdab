// The tenant admin console's pages (rules P, R, S, L): admins activate pending registrations and deactivate
// users (the tenant's last active admin cannot be deactivated), switch "allow users to register" and "new
// registered users are active by default", and read the sign-in attempts; what users typed is escaped, and
// pages are HTML with the security headers, outside the API's description. Holes closed: a deactivation that
// does not end access, a switch that does not reach the API, injected markup or messages, and admin pages
// cached or framed.
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { bearer, CLIENT_ID, PASSWORD, seedUser, signIn, tokensFor } from "../support/users";
import {
  ADMIN,
  attemptRows,
  consoleOf,
  expectSecurityHeaders,
  locationOf,
  page,
  register,
  registeredPending,
  signedInBrowser,
  userRow,
} from "./support";

describe("users: pending registrations, activation and deactivation", () => {
  it("R a registration that waits for activation is listed under pending; Activate lets the user sign in", async () => {
    const { name } = await openTenant(eu, { newUsersActiveByDefault: false });
    const userId = await registeredPending(name, "pending.person@example.com");
    expect((await signIn(eu, name, { login: "pending.person@example.com", password: PASSWORD })).status).toBe(403);

    const browser = await signedInBrowser(name);
    const pending = await page(browser, `${consoleOf(name)}/users?status=pending`);
    expect(pending.html).toContain("pending.person@example.com");
    expect(pending.html).toContain("Pending activation</span>");
    expect(pending.html).not.toContain(`admin@${name}.example`);
    expect(pending.html).toContain(`action="${consoleOf(name)}/users/${userId}/activate"`);

    const response = await browser.post(`${consoleOf(name)}/users/${userId}/activate`, { csrf: pending.csrf, status: "pending" });
    expect(locationOf(response)).toBe(`${consoleOf(name)}/users?status=pending&done=activated&user=${userId}`);
    const after = await page(browser, locationOf(response));
    // The message names the user it was about (found by the link's id, in this tenant).
    expect(after.html).toMatch(/<p class="msg" role="status">[^<]*pending\.person[^<]* is now active and can sign in\.<\/p>/);
    expect(after.html).not.toContain("pending.person@example.com");
    expect((await userRow(userId))?.active).toBe(1);

    const signedIn = await signIn(eu, name, { login: "pending.person@example.com", password: PASSWORD });
    expect(signedIn.status).toBe(200);
  });

  it("P Deactivate ends the user's access at their next API request; the list says Deactivated", async () => {
    const { name, id } = await openTenant(eu);
    const user = await seedUser(eu, id);
    const { access_token } = await tokensFor(eu, name, user.username);
    expect((await eu.fetch(`/t/${name}/me`, { headers: bearer(access_token) })).status).toBe(200);

    const browser = await signedInBrowser(name);
    const { csrf } = await page(browser, `${consoleOf(name)}/users?q=${user.username}`);
    const response = await browser.post(`${consoleOf(name)}/users/${user.id}/deactivate`, { csrf, q: user.username });
    expect(locationOf(response)).toBe(`${consoleOf(name)}/users?q=${user.username}&done=deactivated&user=${user.id}`);

    const me = await eu.fetch(`/t/${name}/me`, { headers: bearer(access_token) });
    expect([401, 403]).toContain(me.status);
    const list = await page(browser, `${consoleOf(name)}/users?status=inactive`);
    expect(list.html).toContain(user.username);
    expect(list.html).toContain("Deactivated</span>");
  });

  it("P the last active admin deactivating themself gets a clear message and stays active", async () => {
    const { name, adminId } = await openTenant(eu);
    const browser = await signedInBrowser(name);
    const { csrf } = await page(browser, `${consoleOf(name)}/users`);
    const response = await browser.post(`${consoleOf(name)}/users/${adminId}/deactivate`, { csrf });
    expect(locationOf(response)).toBe(`${consoleOf(name)}/users?error=last_admin`);
    const after = await page(browser, locationOf(response));
    expect(after.html).toContain("The tenant&#39;s last active admin cannot be deactivated or lose the admin role.");
    expect(after.html).toContain('role="alert"');
    expect((await userRow(adminId))?.active).toBe(1);
  });

  it("S a flash message is one of the console's own sentences: a crafted one shows nothing", async () => {
    const { name } = await openTenant(eu);
    const browser = await signedInBrowser(name);
    const crafted = await page(browser, `${consoleOf(name)}/users?done=%3Cb%3Eowned%3C%2Fb%3E&error=hacked`);
    expect(crafted.html).not.toContain("owned");
    expect(crafted.html).not.toContain("hacked");
    expect(crafted.html).not.toContain('role="alert"');
  });

  it("S what users typed is escaped on the page", async () => {
    const { name, id } = await openTenant(eu);
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
    const { name, id } = await openTenant(eu);
    await seedUser(eu, id, { username: "longmail", email: LONG_MAIL });
    await seedUser(eu, id, { username: "lookalike", email: LOOKALIKE });
    const browser = await signedInBrowser(name);
    const { html } = await page(browser, `${consoleOf(name)}/users?q=${encodeURIComponent(q)}`);
    expect([...html.matchAll(/<th scope="row" class="wrap"><a href="[^"]+">([^<]+)<\/a><\/th>/g)].map((row) => row[1])).toEqual(expected);
    expect(html).toContain('maxlength="100"');
  });

  it("R the list pages with a Next page link, newest first", async () => {
    const { name, id } = await openTenant(eu);
    for (let i = 0; i < 51; i++) await seedUser(eu, id, { username: `bulk-${String(i).padStart(2, "0")}` });
    const browser = await signedInBrowser(name);
    const first = await page(browser, `${consoleOf(name)}/users?q=bulk`);
    expect(first.html.match(/<th scope="row" class="wrap"><a href="[^"]+">bulk-/g)).toHaveLength(50);
    const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.html)?.[1];
    expect(next).toBeDefined();
    const second = await page(browser, next!.replaceAll("&amp;", "&"));
    expect(second.html.match(/<th scope="row" class="wrap"><a href="[^"]+">bulk-/g)).toHaveLength(1);
    expect(second.html).not.toContain("Next page");
  });
});

describe("sign-in attempts", () => {
  it("L the attempts page lists every attempt, newest first, console and app alike", async () => {
    const { name } = await openTenant(eu);
    await signIn(eu, name, { login: "nobody-here", password: "whatever-it-is" }, { "User-Agent": "PrintApp/1.0" });
    await tokensFor(eu, name, ADMIN);
    const browser = await signedInBrowser(name);
    const response = await browser.get(`${consoleOf(name)}/sign-in-attempts`);
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
    const html = await response.text();
    expect(html).toContain("<caption>");
    // L: the admin sees how long the record is kept.
    expect(html).toContain("Attempts are kept for 90 days");
    const rows = attemptRows(html);
    expect(rows.map((row) => [row.Login, row.Client])).toEqual([
      [ADMIN, "printid-console"],
      [ADMIN, CLIENT_ID],
      ["nobody-here", CLIENT_ID],
    ]);
    expect(rows[2]?.Outcome).toBe("Wrong login or password");
    expect(rows[0]?.Outcome).toBe("Success");
    expect(rows[0]?.Method).toBe("Password");
    expect(html).toContain("PrintApp/1.0");
  });
});

describe("the console is no API", () => {
  it("S pages are HTML with the security headers, and the console's routes are not in /openapi.json", async () => {
    const { name } = await openTenant(eu);
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
