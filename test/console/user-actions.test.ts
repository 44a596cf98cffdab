// The console's user page, its actions on a person's access (issue 14 point 7), each a form posting the
// session's CSRF token and each through the admin API's own function: the user's live sessions, with Sign
// out per session and Sign out everywhere (rule P: the holder's refresh is refused at once); Send invitation
// for a user an admin created without a password; Send password reset to a verified address only (rule E),
// not twice within a minute; Set a password, to change at the next sign-in or not (every session ends), never
// on the admin's own page. Rule T: another tenant's user or session, or another user's session, is the
// console's 404 page and nothing changes; rule S: without the session's token, nothing happens.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { create } from "../admin/support";
import { adminFixture } from "../support/admin";
import { freshAddress, mailTo, nthMailTo } from "../support/mail";
import { eu } from "../support/regions";
import { countOf } from "../support/rows";
import { refresh } from "../support/tokens";
import { PASSWORD, seedUser, signIn, tokensFor, type TokenResponse } from "../support/users";
import { consoleOf, locationOf, page, signedInBrowser } from "./support";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

/** A tenant with its admin signed in to the console, and a user with a password signed in twice through the API. */
async function withSessions() {
  const f = await adminFixture();
  const user = await seedUser(eu, f.tenantId, { email: freshAddress("member") });
  const first = await tokensFor(eu, f.tenant, user.username);
  const response = await signIn(eu, f.tenant, { login: user.username, password: PASSWORD }, { "CF-Connecting-IP": "192.0.2.7", "User-Agent": CHROME });
  const second = (await response.json()) as TokenResponse;
  const browser = await signedInBrowser(f.tenant);
  return { f, user, first, second, browser, base: consoleOf(f.tenant), userPath: `${consoleOf(f.tenant)}/users/${user.id}` };
}

/** The stored sessions of a user, by id: whether each has ended. */
async function revoked(userId: string): Promise<Record<string, boolean>> {
  const { results } = await eu.db
    .prepare("SELECT id, revoked_at FROM sessions WHERE user_id = ? AND client_id = 'printid-mobile'")
    .bind(userId)
    .all<{ id: string; revoked_at: number | null }>();
  return Object.fromEntries(results.map((row) => [row.id, row.revoked_at !== null]));
}

const sid = (tokens: TokenResponse) => decodeJwt(tokens.access_token).sid as string;

/** The session rows of the user's page: the text of each cell, by its column. */
function sessionRows(html: string): Record<string, string>[] {
  return [...html.matchAll(/<tr><td data-label="Client".*?<\/tr>/g)].map(
    (row) => Object.fromEntries([...row[0].matchAll(/<td data-label="([^"]+)"[^>]*>(.*?)<\/td>/g)].map((cell) => [cell[1], cell[2]!.replace(/<[^>]+>/g, "")])),
  );
}

describe("a user's sessions on the console's user page", () => {
  it("P lists the live sessions with client, method, created, last used, IP and the user agent in short (whole on hover)", async () => {
    const { second, browser, userPath } = await withSessions();
    const { html } = await page(browser, userPath);
    const rows = sessionRows(html);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ Client: "printid-mobile", Method: "Password", "Last used": "not refreshed", "IP address": "192.0.2.7", "User agent": "Chrome 126 · Windows" });
    expect(rows[0]!.Created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(html).toContain(`title="${CHROME}"`);
    expect(html).toContain(`action="${userPath}/sessions/${sid(second)}/sign-out"`);
    expect(html).toContain(`action="${userPath}/sign-out-everywhere"`);
  });

  it("P Sign out ends that session only: its refresh token is refused, the other still works; the message names the user", async () => {
    const { f, user, first, second, browser, userPath } = await withSessions();
    const { csrf } = await page(browser, userPath);
    const done = await browser.post(`${userPath}/sessions/${sid(second)}/sign-out`, { csrf });
    expect(locationOf(done)).toBe(`${userPath}?done=session_ended`);
    const after = await page(browser, locationOf(done));
    expect(after.html).toContain(`That session of Test User (${user.username}) has been signed out.`);
    expect(sessionRows(after.html)).toHaveLength(1);
    expect((await refresh(eu, f.tenant, second.refresh_token)).status).toBe(400);
    expect((await refresh(eu, f.tenant, first.refresh_token)).status).toBe(200);
  });

  it("P Sign out everywhere ends every session of the user", async () => {
    const { f, user, first, second, browser, userPath } = await withSessions();
    const { csrf } = await page(browser, userPath);
    const done = await browser.post(`${userPath}/sign-out-everywhere`, { csrf });
    expect(locationOf(done)).toBe(`${userPath}?done=signed_out_everywhere`);
    const after = await page(browser, locationOf(done));
    expect(after.html).toContain(`Test User (${user.username}) has been signed out everywhere: every session of theirs has ended.`);
    expect(after.html).toContain("No live sessions.");
    expect(after.html).not.toContain(`${userPath}/sign-out-everywhere`);
    for (const tokens of [first, second]) expect((await refresh(eu, f.tenant, tokens.refresh_token)).status).toBe(400);
    expect(Object.values(await revoked(user.id))).toEqual([true, true]);
  });

  it("S without the session's CSRF token (or with another), neither ends anything", async () => {
    const { user, second, browser, userPath } = await withSessions();
    for (const fields of [{}, { csrf: "not-the-token" }] as Record<string, string>[]) {
      for (const action of [`${userPath}/sessions/${sid(second)}/sign-out`, `${userPath}/sign-out-everywhere`]) {
        const refused = await browser.post(action, fields);
        expect(refused.status).toBe(403);
        expect(await refused.text()).toContain("This form was refused");
      }
    }
    expect(Object.values(await revoked(user.id))).toEqual([false, false]);
  });

  it("T another tenant's user or session, another user's session, or an unknown one, is the 404 page; nothing ends", async () => {
    const { f, user, second, browser, base, userPath } = await withSessions();
    const other = await withSessions();
    const neighbour = await seedUser(eu, f.tenantId);
    const { csrf } = await page(browser, userPath);
    const attempts = [
      `${base}/users/${other.user.id}/sessions/${sid(other.second)}/sign-out`, // another tenant's user and session
      `${userPath}/sessions/${sid(other.second)}/sign-out`, // this tenant's user, another tenant's session
      `${base}/users/${neighbour.id}/sessions/${sid(second)}/sign-out`, // another user's session
      `${userPath}/sessions/00000000-0000-4000-8000-000000000000/sign-out`,
      `${userPath}/sessions/not-a-uuid/sign-out`,
      `${base}/users/${other.user.id}/sign-out-everywhere`,
    ];
    for (const action of attempts) {
      const refused = await browser.post(action, { csrf });
      expect(refused.status, action).toBe(404);
      expect(refused.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(await refused.text()).not.toContain(other.user.username);
    }
    expect(Object.values(await revoked(user.id))).toEqual([false, false]);
    expect(Object.values(await revoked(other.user.id))).toEqual([false, false]);
    // Another tenant's user's page is not shown either.
    expect((await browser.get(`${base}/users/${other.user.id}`)).status).toBe(404);
  });
});

describe("Send invitation", () => {
  /** A tenant, its admin in the console, and a user the admin created through the API without a password. */
  async function invitee() {
    const f = await adminFixture();
    const email = freshAddress("invitee");
    const user = await create(f, { username: `inv-${crypto.randomUUID().slice(0, 6)}`, email });
    const browser = await signedInBrowser(f.tenant);
    return { f, email, user, browser, userPath: `${consoleOf(f.tenant)}/users/${user.id}` };
  }

  it("R is offered for a user created without a password, and mails them a 7-day link; the message names the user", async () => {
    const { email, user, browser, userPath } = await invitee();
    const { html, csrf } = await page(browser, userPath);
    expect(html).toContain(`action="${userPath}/invitation"`);
    expect(html).not.toContain(`action="${userPath}/password-reset"`); // the address is not verified yet
    const done = await browser.post(`${userPath}/invitation`, { csrf });
    expect(locationOf(done)).toBe(`${userPath}?done=invitation_sent`);
    expect((await page(browser, locationOf(done))).html).toContain(`An invitation has been sent to ${user.username}: its link works for 7 days.`);
    const mail = await nthMailTo(email);
    expect(mail.text).toContain(`/account/invitation?token=`);
    expect(await countOf(eu, "SELECT count(*) AS n FROM account_tokens WHERE user_id = ? AND purpose = 'invitation'", user.id)).toBe(1);
  });

  it("R is not offered to a user with a password; forced, it is refused with the reason and nothing is sent", async () => {
    const f = await adminFixture();
    const user = await seedUser(eu, f.tenantId, { email: freshAddress("has-password") });
    const browser = await signedInBrowser(f.tenant);
    const userPath = `${consoleOf(f.tenant)}/users/${user.id}`;
    const { html, csrf } = await page(browser, userPath);
    expect(html).not.toContain("/invitation");
    const refused = await browser.post(`${userPath}/invitation`, { csrf });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("send a password reset instead");
    expect(await mailTo(user.email)).toEqual([]);
  });

  it("S without the CSRF token nothing is sent; T another tenant's user is the 404 page", async () => {
    const { f, email, browser, userPath } = await invitee();
    expect((await browser.post(`${userPath}/invitation`, {})).status).toBe(403);
    const other = await invitee();
    const { csrf } = await page(browser, userPath);
    const refused = await browser.post(`${consoleOf(f.tenant)}/users/${other.user.id}/invitation`, { csrf });
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toContain(other.user.username);
    expect(await mailTo(email)).toEqual([]);
    expect(await mailTo(other.email)).toEqual([]);
  });
});

describe("Send password reset", () => {
  /** A tenant, its admin in the console, and a user with a password whose address is verified (or not). */
  async function member(verified = true) {
    const f = await adminFixture();
    const user = await seedUser(eu, f.tenantId, { email: freshAddress("reset") });
    if (verified) await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    const browser = await signedInBrowser(f.tenant);
    return { f, user, browser, userPath: `${consoleOf(f.tenant)}/users/${user.id}` };
  }

  it("E is offered for a verified address and mails a reset link; a second within the minute sends nothing, as the message says", async () => {
    const { user, browser, userPath } = await member();
    const { html, csrf } = await page(browser, userPath);
    expect(html).toContain(`action="${userPath}/password-reset"`);
    expect(html).not.toContain(`${userPath}/invitation`);
    const done = await browser.post(`${userPath}/password-reset`, { csrf });
    expect(locationOf(done)).toBe(`${userPath}?done=reset_sent`);
    expect((await page(browser, locationOf(done))).html).toContain(
      `A password reset link was sent to Test User (${user.username}), unless one went out in the last minute.`,
    );
    expect((await nthMailTo(user.email)).text).toContain("/account/password/reset?token=");
    expect(locationOf(await browser.post(`${userPath}/password-reset`, { csrf }))).toBe(`${userPath}?done=reset_sent`);
    expect(await mailTo(user.email)).toHaveLength(1);
  });

  it("E is not offered for an unverified address; forced, nothing is sent and the page says why", async () => {
    const { user, browser, userPath } = await member(false);
    const { html, csrf } = await page(browser, userPath);
    expect(html).not.toContain("/password-reset");
    const done = await browser.post(`${userPath}/password-reset`, { csrf });
    expect(locationOf(done)).toBe(`${userPath}?done=reset_not_sent`);
    expect((await page(browser, locationOf(done))).html).toContain(`No password reset link was sent: Test User (${user.username}) has no verified e-mail address.`);
    expect(await mailTo(user.email)).toEqual([]);
  });

  it("S without the CSRF token nothing is sent; T another tenant's user is the 404 page", async () => {
    const { f, user, browser, userPath } = await member();
    expect((await browser.post(`${userPath}/password-reset`, {})).status).toBe(403);
    const other = await member();
    const { csrf } = await page(browser, userPath);
    const refused = await browser.post(`${consoleOf(f.tenant)}/users/${other.user.id}/password-reset`, { csrf });
    expect(refused.status).toBe(404);
    expect(await mailTo(user.email)).toEqual([]);
    expect(await mailTo(other.user.email)).toEqual([]);
  });
});

describe("Set a password (the admin API's setPasswordByAdmin)", () => {
  const TEMPORARY = "temporary pass 2026";

  it("P sets a password the user must change: their sessions end, their old password fails, the new one asks for a change", async () => {
    const { f, user, first, browser, userPath } = await withSessions();
    const { html, csrf } = await page(browser, userPath);
    expect(html).toContain(`action="${userPath}/temporary-password"`);
    const done = await browser.post(`${userPath}/temporary-password`, { csrf, password: TEMPORARY, mustChangePassword: "on" });
    expect(locationOf(done)).toBe(`${userPath}?done=temporary_password_set`);
    expect((await page(browser, locationOf(done))).html).toContain(
      `Test User (${user.username}) has a temporary password, to change at their next sign-in; their sessions have ended.`,
    );
    expect((await refresh(eu, f.tenant, first.refresh_token)).status).toBe(400);
    expect((await signIn(eu, f.tenant, { login: user.username, password: PASSWORD })).status).toBe(401);
    const changeRequired = await signIn(eu, f.tenant, { login: user.username, password: TEMPORARY });
    expect(changeRequired.status).toBe(403);
    expect(((await changeRequired.json()) as { code: string }).code).toBe("password_change_required");
  });

  it("L unticked, the password simply signs in; one the policy refuses is the 400 page with its reason", async () => {
    const { f, user, browser, userPath } = await withSessions();
    const { csrf } = await page(browser, userPath);
    const short = await browser.post(`${userPath}/temporary-password`, { csrf, password: "short" });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain("At least 8 characters");
    const done = await browser.post(`${userPath}/temporary-password`, { csrf, password: TEMPORARY });
    expect(locationOf(done)).toBe(`${userPath}?done=password_set`);
    expect((await signIn(eu, f.tenant, { login: user.username, password: TEMPORARY })).status).toBe(200);
  });

  it("S not offered on the admin's own page, and refused there; without the CSRF token nothing changes; T another tenant's user is the 404 page", async () => {
    const { f, user, browser, userPath } = await withSessions();
    const own = await page(browser, `${consoleOf(f.tenant)}/users/${f.adminId}`);
    expect(own.html).not.toContain("/temporary-password");
    expect((await browser.post(`${consoleOf(f.tenant)}/users/${f.adminId}/temporary-password`, { csrf: own.csrf, password: TEMPORARY })).status).toBe(403);
    expect((await browser.post(`${userPath}/temporary-password`, { password: TEMPORARY })).status).toBe(403);
    const other = await withSessions();
    const refused = await browser.post(`${consoleOf(f.tenant)}/users/${other.user.id}/temporary-password`, { csrf: own.csrf, password: TEMPORARY });
    expect(refused.status).toBe(404);
    for (const [tenant, login] of [[f.tenant, user.username], [other.f.tenant, other.user.username]] as const) {
      expect((await signIn(eu, tenant, { login, password: PASSWORD })).status).toBe(200);
    }
  });
});
