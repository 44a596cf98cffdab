// Rule P, the tenant's session time-outs (issue 14 point 5): a session ends `sessionMaxSeconds` after its
// sign-in and, where the tenant has one, `sessionIdleSeconds` after its last use. Use is what a refresh
// records (`last_used_at`, in the rotation's batch); rule P's per-request check reads and never writes.
// Enforced alike for API requests, refreshes, the console's session and the hosted page's. Closes the
// holes of a session living on past the tenant's lifetime or idle limit through its access token, its
// refresh token, or a browser's cookie, and of a shortened limit sparing sessions already open.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { adminAuth, patchSettings } from "../support/admin";
import { Browser } from "../support/browser";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { expectOAuthError, refresh } from "../support/tokens";
import { fetchMe, PASSWORD, signedInUser, signIn, tenantWithUser, type TokenResponse } from "../support/users";
import { consoleOf, consoleSignIn, locationOf, signedInBrowser as signedInConsole } from "../console/support";
import { answerOf, authorization, browserAt, signInOnPage, tokensOf } from "../hosted/flow";

const HOUR = 3600;
const DAY = 86_400;

/** Moves every clock of the user's sessions `seconds` into the past, as if they had been opened and used that long ago. */
async function ageSessions(userId: string, seconds: number) {
  const ms = seconds * 1000;
  await eu.db
    .prepare(
      `UPDATE sessions SET created_at = created_at - ?1, auth_time = auth_time - ?1, refreshed_at = refreshed_at - ?1,
       last_used_at = last_used_at - ?1 WHERE user_id = ?2`,
    )
    .bind(ms, userId)
    .run();
}

async function sessionRow(sessionId: string) {
  return eu.db
    .prepare("SELECT created_at, expires_at, last_used_at, revoked_at, ip, user_agent FROM sessions WHERE id = ?")
    .bind(sessionId)
    .first<{ created_at: number; expires_at: number; last_used_at: number | null; revoked_at: number | null; ip: string | null; user_agent: string | null }>();
}

async function expectEnded(name: string, tokens: TokenResponse) {
  await problemOf(await fetchMe(eu, name, tokens.access_token), 401, "unauthorized");
  await expectOAuthError(await refresh(eu, name, tokens.refresh_token), 400, "invalid_grant");
}

describe("P the absolute lifetime (sessionMaxSeconds)", () => {
  it("P a session opened longer ago than the tenant's lifetime is 401 at the next request, and its refresh token invalid_grant", async () => {
    const { name, user, tokens } = await signedInUser(eu, { sessionMaxSeconds: 2 * HOUR });
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
    await ageSessions(user.id, 2 * HOUR + 60);
    await expectEnded(name, tokens);
  });

  it("P a session within its lifetime lives, however long ago it was opened", async () => {
    const { name, user, tokens } = await signedInUser(eu, { sessionMaxSeconds: 365 * DAY });
    await ageSessions(user.id, 200 * DAY);
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
    expect((await refresh(eu, name, tokens.refresh_token)).status).toBe(200);
  });

  it("P a session's expires_at is its tenant's lifetime at sign-in", async () => {
    const { tokens, sessionId } = await signedInUser(eu, { sessionMaxSeconds: 7 * DAY });
    expect(decodeJwt(tokens.access_token).sid).toBe(sessionId);
    const row = await sessionRow(sessionId);
    expect(row!.expires_at - row!.created_at).toBe(7 * DAY * 1000);
  });

  it("P shortening the lifetime ends the sessions already past it at the next request; the others live on", async () => {
    const { region, name, tenantId, user, tokens } = await signedInUser(eu);
    await ageSessions(user.id, 3 * DAY);
    const fresh = (await (await signIn(eu, name, { login: user.username, password: PASSWORD })).json()) as TokenResponse;
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);

    const admin = { region, tenant: name, tenantId, auth: await adminAuth(region, name) };
    expect((await patchSettings(admin, { sessionMaxSeconds: 2 * DAY })).status).toBe(200);
    await expectEnded(name, tokens);
    expect((await fetchMe(eu, name, fresh.access_token)).status).toBe(200);
  });
});

describe("P the idle time-out (sessionIdleSeconds)", () => {
  it("P a session not refreshed for longer than the idle time-out is 401, and its refresh token invalid_grant", async () => {
    const { name, user, tokens } = await signedInUser(eu, { sessionIdleSeconds: HOUR });
    await ageSessions(user.id, HOUR + 60);
    await expectEnded(name, tokens);
  });

  it("P a refresh is a use: it records last_used_at, and the session lives an idle time-out from then", async () => {
    const { name, user, tokens, sessionId } = await signedInUser(eu, { sessionIdleSeconds: HOUR });
    await ageSessions(user.id, HOUR - 60);
    const before = Date.now();
    const renewed = await refresh(eu, name, tokens.refresh_token);
    expect(renewed.status).toBe(200);
    const next = (await renewed.json()) as TokenResponse;
    expect((await sessionRow(sessionId))!.last_used_at).toBeGreaterThanOrEqual(before);

    // Opened more than an idle time-out ago, but used since: alive.
    await ageSessions(user.id, 30 * 60);
    expect((await fetchMe(eu, name, next.access_token)).status).toBe(200);
    expect((await refresh(eu, name, next.refresh_token)).status).toBe(200);
  });

  it("P rule P's check writes nothing: requests with the access token do not move last_used_at", async () => {
    const { name, tokens, sessionId } = await signedInUser(eu, { sessionIdleSeconds: HOUR });
    for (let i = 0; i < 3; i++) expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
    expect((await sessionRow(sessionId))!.last_used_at).toBeNull();
  });

  it("P with no idle time-out (0, the default), a session unused for 60 days lives within its lifetime", async () => {
    const { name, user, tokens } = await signedInUser(eu, { sessionIdleSeconds: 0, sessionMaxSeconds: 365 * DAY });
    await ageSessions(user.id, 60 * DAY);
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
    expect((await refresh(eu, name, tokens.refresh_token)).status).toBe(200);
  });

  it("P an idle time-out set later ends the sessions idle past it at once", async () => {
    const { region, name, tenantId, user, tokens } = await signedInUser(eu);
    await ageSessions(user.id, 2 * HOUR);
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
    const admin = { region, tenant: name, tenantId, auth: await adminAuth(region, name) };
    expect((await patchSettings(admin, { sessionIdleSeconds: HOUR })).status).toBe(200);
    await expectEnded(name, tokens);
  });
});

describe("P the browsers' sessions: the console and the hosted page", () => {
  it("P a console session past the tenant's idle time-out is signed out (to the sign-in page)", async () => {
    const { name, user } = await tenantWithUser(eu, { sessionIdleSeconds: HOUR }, { roles: ["admin"] });
    const browser = await signedInConsole(name, user.username, PASSWORD);
    expect((await browser.get(`${consoleOf(name)}/users`)).status).toBe(200);
    await ageSessions(user.id, HOUR + 60);
    expect(locationOf(await browser.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
  });

  it("P a console session past the tenant's lifetime is signed out", async () => {
    const { name, user } = await tenantWithUser(eu, { sessionMaxSeconds: HOUR }, { roles: ["admin"] });
    const browser = new Browser(eu);
    expect(locationOf(await consoleSignIn(browser, name, user.username, PASSWORD))).toBe(`${consoleOf(name)}/users`);
    await ageSessions(user.id, HOUR + 60);
    expect(locationOf(await browser.get(`${consoleOf(name)}/users`))).toBe(`${consoleOf(name)}/sign-in`);
  });

  it("P the hosted page's session past the tenant's idle time-out is no session (prompt=none is login_required)", async () => {
    const { name, user } = await tenantWithUser(eu, { sessionIdleSeconds: HOUR });
    const browser = browserAt();
    const request = await authorization();
    await tokensOf(eu, name, request, await signInOnPage(browser, name, request, user.username, PASSWORD));
    const live = answerOf(await browser.get(`/t/${name}/authorize?${(await authorization({ prompt: "none" })).query}`));
    expect(live.get("code")).toBeTruthy();

    await ageSessions(user.id, HOUR + 60);
    const ended = answerOf(await browser.get(`/t/${name}/authorize?${(await authorization({ prompt: "none" })).query}`));
    expect(ended.get("error")).toBe("login_required");
  });
});

describe("P S L what a session's opening records", () => {
  it("P S a session records the IP (CF-Connecting-IP) and user agent of its sign-in; the user their last sign-in", async () => {
    const { name, user } = await tenantWithUser(eu);
    const before = Date.now();
    const response = await signIn(eu, name, { login: user.username, password: PASSWORD }, { "CF-Connecting-IP": "203.0.113.7", "User-Agent": "PrintApp/3.1 (iPhone)" });
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as TokenResponse;
    const row = await sessionRow(decodeJwt(access_token).sid as string);
    expect(row).toMatchObject({ ip: "203.0.113.7", user_agent: "PrintApp/3.1 (iPhone)", last_used_at: null, revoked_at: null });
    const signedIn = await eu.db.prepare("SELECT last_sign_in_at FROM users WHERE id = ?").bind(user.id).first<{ last_sign_in_at: number }>();
    expect(signedIn!.last_sign_in_at).toBeGreaterThanOrEqual(before);
  });

  it("L a refused sign-in leaves last_sign_in_at as it was", async () => {
    const { name, user } = await tenantWithUser(eu);
    expect((await signIn(eu, name, { login: user.username, password: "not the password at all" })).status).toBe(401);
    const row = await eu.db.prepare("SELECT last_sign_in_at FROM users WHERE id = ?").bind(user.id).first<{ last_sign_in_at: number | null }>();
    expect(row!.last_sign_in_at).toBeNull();
  });
});
