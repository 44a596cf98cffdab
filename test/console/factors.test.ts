// Second factors in the console (issue 16 points 3 and 4, rule M): the user's page lists what the person
// set up (factorsOf); "Reset second factors…" says what it does on a confirmation page, and its form (the
// session's CSRF token) removes every factor and ends every session, through the admin API's own reset.
// Rule T: another tenant's user is the console's 404 page and nothing changes. The console's own sign-in
// asks an admin who owes a second factor for it (the hosted sign-in's step, in English), or has them set
// one up first where the tenant requires one.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { adminFixture, patchSettings } from "../support/admin";
import { eu } from "../support/regions";
import { bearer, PASSWORD, seedUser, tokensFor } from "../support/users";
import { enrolTotp, totpCode } from "../factors/support";
import { Browser, consoleOf, consoleSignIn, consoleSessions, csrfOf, formFieldsOf, locationOf, page, signedInBrowser } from "./support";

/** A tenant with its admin in the console, and a member who set up an authenticator app (and so has a session). */
async function memberWithApp() {
  const f = await adminFixture();
  const member = await seedUser(eu, f.tenantId, { username: "member" });
  const tokens = await tokensFor(eu, f.tenant, member.username);
  const app = await enrolTotp(eu, f.tenant, bearer(tokens.access_token));
  const browser = await signedInBrowser(f.tenant);
  return { f, member, tokens, app, browser, base: consoleOf(f.tenant), userPath: `${consoleOf(f.tenant)}/users/${member.id}` };
}

/** The first admin's own authenticator app, set up through the API (so their console sign-in asks for it). */
async function adminWithApp() {
  const f = await adminFixture();
  const app = await enrolTotp(eu, f.tenant, f.auth);
  return { f, ...app };
}

const factorRows = (userId: string) => eu.db.prepare("SELECT type FROM second_factors WHERE user_id = ?").bind(userId).all<{ type: string }>();

describe("a user's second factors in the console", () => {
  it("M the user's page lists the person's factors, when each was set up and last used, and the recovery codes left", async () => {
    const { browser, userPath } = await memberWithApp();
    const { html } = await page(browser, userPath);
    expect(html).toContain('<h2 id="factors">Second factors</h2>');
    expect(html).toMatch(/Authenticator app: set up <time[^>]*>[^<]+ UTC<\/time>, last used <time/);
    expect(html).toContain("Recovery codes left: 10");
    expect(html).toContain(`href="${userPath}/factors/reset"`);
  });

  it("M a person without a factor is said to have none, and no reset is offered", async () => {
    const f = await adminFixture();
    const member = await seedUser(eu, f.tenantId);
    const { html } = await page(await signedInBrowser(f.tenant), `${consoleOf(f.tenant)}/users/${member.id}`);
    expect(html).toContain("None set up.");
    expect(html).not.toContain("/factors/reset");
  });

  it("M P the reset says what it does, then removes every factor and recovery code and ends every session of the person; the page says so", async () => {
    const { f, member, tokens, browser, userPath } = await memberWithApp();
    const confirm = await page(browser, `${userPath}/factors/reset`);
    expect(confirm.html).toContain("every session they have open ends at once");
    const reset = await browser.post(`${userPath}/factors/reset`, formFieldsOf(confirm.html, `${userPath}/factors/reset`));
    expect(locationOf(reset)).toBe(`${userPath}?done=factors_reset`);
    expect((await factorRows(member.id)).results).toEqual([]);
    const left = await eu.db.prepare("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ?").bind(member.id).first<{ n: number }>();
    expect(left?.n).toBe(0);
    const session = await eu.db.prepare("SELECT revoked_at FROM sessions WHERE id = ?").bind(decodeJwt(tokens.access_token).sid).first<{ revoked_at: number | null }>();
    expect(session?.revoked_at).not.toBeNull();
    const { html } = await page(browser, `${userPath}?done=factors_reset`);
    expect(html).toContain("second factors are reset");
    expect(html).toContain("None set up.");
    // Signed in again, the person is asked for nothing (the tenant does not require a factor).
    expect((await tokensFor(eu, f.tenant, member.username, PASSWORD)).access_token).toBeDefined();
  });

  it("S the reset needs the session's CSRF token: without it nothing changes", async () => {
    const { member, browser, userPath } = await memberWithApp();
    const refused = await browser.post(`${userPath}/factors/reset`, { csrf: "forged" });
    expect(refused.status).toBe(403);
    expect((await factorRows(member.id)).results).toEqual([{ type: "totp" }]);
  });

  it("T another tenant's user is the console's 404 page, for the confirmation and the reset, and nothing changes", async () => {
    const { member, userPath } = await memberWithApp();
    const other = await adminFixture();
    const browser = await signedInBrowser(other.tenant);
    const foreign = userPath.replace(/\/t\/[^/]+\//, `/t/${other.tenant}/`);
    expect((await browser.get(`${foreign}/factors/reset`)).status).toBe(404);
    const { csrf } = await page(browser, `${consoleOf(other.tenant)}/users`);
    expect((await browser.post(`${foreign}/factors/reset`, { csrf })).status).toBe(404);
    expect((await factorRows(member.id)).results).toEqual([{ type: "totp" }]);
  });
});

describe("the console's sign-in, second step", () => {
  it("M an admin with an app gets the second step after the password: no session yet; a wrong code is said; the right one opens the console", async () => {
    const { f, secret } = await adminWithApp();
    const browser = new Browser(eu);
    const first = await consoleSignIn(browser, f.tenant, "admin", PASSWORD);
    expect(first.status).toBe(401);
    const html = await first.text();
    expect(html).toContain("Two-step verification");
    expect(html).toContain('autocomplete="one-time-code"');
    expect(browser.cookie("printid_console")).toBeUndefined();
    const action = `${consoleOf(f.tenant)}/sign-in/mfa`;

    const wrong = await browser.post(action, { ...formFieldsOf(html, action), code: "000000" });
    expect(wrong.status).toBe(401);
    const again = await wrong.text();
    expect(again).toContain("The code is not correct.");

    const right = await browser.post(action, { ...formFieldsOf(again, action), code: totpCode(secret, 1) });
    expect(locationOf(right)).toBe(`${consoleOf(f.tenant)}/users`);
    const sessions = await consoleSessions(f.adminId);
    expect(sessions.filter((session) => session.revoked_at === null)).toHaveLength(1);
    const amr = await eu.db.prepare("SELECT amr FROM sessions WHERE id = ?").bind(sessions[0]!.id).first<{ amr: string }>();
    expect(JSON.parse(amr!.amr)).toEqual(["pwd", "otp", "mfa"]);
    expect((await browser.get(`${consoleOf(f.tenant)}/users`)).status).toBe(200);
  });

  it("M a recovery code passes the console's step too", async () => {
    const { f, recoveryCodes } = await adminWithApp();
    const browser = new Browser(eu);
    const html = await (await consoleSignIn(browser, f.tenant, "admin", PASSWORD)).text();
    const action = `${consoleOf(f.tenant)}/sign-in/mfa`;
    const passed = await browser.post(action, { ...formFieldsOf(html, action), recovery_code: recoveryCodes![0]! });
    expect(locationOf(passed)).toBe(`${consoleOf(f.tenant)}/users`);
  });

  it("M S the step's forms need the sign-in's CSRF token; an mfaToken of the app's sign-in is no step here", async () => {
    const { f, secret } = await adminWithApp();
    const browser = new Browser(eu);
    const html = await (await consoleSignIn(browser, f.tenant, "admin", PASSWORD)).text();
    const action = `${consoleOf(f.tenant)}/sign-in/mfa`;
    expect((await browser.post(action, { ...formFieldsOf(html, action), csrf: "forged", code: totpCode(secret, 1) })).status).toBe(403);
    const apps = (await (await eu.fetch(`/t/${f.tenant}/sign-in`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ login: "admin", password: PASSWORD, clientId: "printid-mobile" }) })).json()) as { mfaToken: string };
    const foreign = await browser.post(action, { ...formFieldsOf(html, action), mfa_token: apps.mfaToken, code: totpCode(secret, 1) });
    expect(foreign.status).toBe(401);
    expect(await foreign.text()).toContain("Sign in again.");
    expect(browser.cookie("printid_console")).toBeUndefined();
  });

  it("M an admin who must have a factor (mode admins) and has none sets up an app at the console's sign-in, sees the recovery codes once, then is in", async () => {
    const f = await adminFixture();
    expect((await patchSettings(f, { mfa: { mode: "admins" } })).status).toBe(200);
    const browser = new Browser(eu);
    const choice = await consoleSignIn(browser, f.tenant, "admin", PASSWORD);
    expect(choice.status).toBe(401);
    const choiceHtml = await choice.text();
    expect(choiceHtml).toContain("Use an authenticator app");
    const enrol = `${consoleOf(f.tenant)}/sign-in/mfa/enrol`;
    const setUp = await browser.post(enrol, { ...formFieldsOf(choiceHtml, enrol), type: "totp" });
    expect(setUp.status).toBe(200);
    const setUpHtml = await setUp.text();
    const key = /<code class="key">([A-Z2-7 ]+)<\/code>/.exec(setUpHtml)![1]!.replace(/ /g, "");
    const action = `${consoleOf(f.tenant)}/sign-in/mfa`;
    const done = await browser.post(action, { ...formFieldsOf(setUpHtml, action), code: totpCode(key) });
    expect(done.status).toBe(200);
    const codes = [...(await done.text()).matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)];
    expect(codes).toHaveLength(10);
    expect((await browser.get(`${consoleOf(f.tenant)}/users`)).status).toBe(200);
  });

  it("M L a locked account at the step is said on the sign-in page, with Retry-After", async () => {
    const { f } = await adminWithApp();
    await eu.db.prepare("UPDATE tenants SET lockout_max_attempts = 2 WHERE id = ?").bind(f.tenantId).run();
    const browser = new Browser(eu);
    let html = await (await consoleSignIn(browser, f.tenant, "admin", PASSWORD)).text();
    const action = `${consoleOf(f.tenant)}/sign-in/mfa`;
    const wrong = await browser.post(action, { ...formFieldsOf(html, action), code: "000000" });
    html = await wrong.text();
    const locked = await browser.post(action, { ...formFieldsOf(html, action), code: "000001" });
    expect(locked.status).toBe(429);
    expect(locked.headers.get("Retry-After")).toBeTruthy();
    const page = await locked.text();
    expect(page).toContain("the account is locked");
    expect(csrfOf(page)).toBeTruthy();
  });
});

describe("a console session from before the policy", () => {
  it("M P an admin's console session that passed no second factor ends once the tenant requires one of admins: the sign-in page asks again", async () => {
    const f = await adminFixture();
    const browser = await signedInBrowser(f.tenant);
    expect((await browser.get(`${consoleOf(f.tenant)}/users`)).status).toBe(200);
    expect((await patchSettings(f, { mfa: { mode: "admins" } })).status).toBe(200);
    const after = await browser.get(`${consoleOf(f.tenant)}/users`);
    expect(locationOf(after)).toBe(`${consoleOf(f.tenant)}/sign-in`);
  });
});
