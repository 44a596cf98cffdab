// Admin-set passwords (issue 14 point 4, MyQ's "Should change password on next login"): PATCH
// /t/{tenant}/admin/users/{id} { password, mustChangePassword } sets a password and ends the user's
// sessions; with mustChangePassword, a correct sign-in answers 403 password_change_required with a change
// token (10 minutes, single use, only its hash stored) that only POST /t/{tenant}/me/password accepts, to
// choose a new password, which clears the obligation, ends every session and signs in. Closes the holes of
// a temporary password opening a session, of a change token used twice, in another tenant, or as a bearer
// token, and of the admin's password staying in use.
import { describe, expect, it } from "vitest";
import { adminFixture, memberAuth, type AdminFixture } from "../support/admin";
import { problemOf, type Problem } from "../support/problems";
import { sha256Base64url } from "../support/tokens";
import { bearer, CLIENT_ID, fetchMe, PASSWORD, seedUser, signIn, tokensFor, type SeededUser, type TokenResponse } from "../support/users";
import { json } from "../support/tenants";

const TEMPORARY = "temporary pass 2026";
const CHOSEN = "my very own passphrase";

type ChangeRequired = Problem & { changeToken: string; changeTokenExpiresIn: number };

function setPassword(f: AdminFixture, userId: string, body: Record<string, unknown>, auth = f.auth) {
  return f.region.fetch(`/t/${f.tenant}/admin/users/${userId}`, { ...json(body, auth), method: "PATCH" });
}

function changeWithToken(f: AdminFixture, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return f.region.fetch(`/t/${f.tenant}/me/password`, json({ clientId: CLIENT_ID, newPassword: CHOSEN, ...body }, headers));
}

/** A member whose admin has set a temporary password that must be changed, and their session from before. */
async function withTemporaryPassword() {
  const f = await adminFixture();
  const member = await seedUser(f.region, f.tenantId);
  const before = await tokensFor(f.region, f.tenant, member.username);
  const response = await setPassword(f, member.id, { password: TEMPORARY, mustChangePassword: true });
  expect(response.status, await response.clone().text()).toBe(200);
  return { f, member, before };
}

async function changeRequired(f: AdminFixture, member: SeededUser): Promise<ChangeRequired> {
  const response = await signIn(f.region, f.tenant, { login: member.username, password: TEMPORARY });
  return (await problemOf(response, 403, "password_change_required")) as ChangeRequired;
}

async function attemptCodes(f: AdminFixture, userId: string) {
  const { results } = await f.region.db.prepare("SELECT code FROM sign_in_attempts WHERE user_id = ? ORDER BY id").bind(userId).all<{ code: string | null }>();
  return results.map((row) => row.code);
}

describe("PATCH /t/{tenant}/admin/users/{id} { password, mustChangePassword }", () => {
  it("S the admin's password replaces the old one and ends the user's sessions", async () => {
    const { f, member, before } = await withTemporaryPassword();
    await problemOf(await fetchMe(f.region, f.tenant, before.access_token), 401, "unauthorized");
    await problemOf(await signIn(f.region, f.tenant, { login: member.username, password: PASSWORD }), 401, "invalid_credentials");
  });

  it("L without mustChangePassword, the new password simply signs in", async () => {
    const f = await adminFixture();
    const member = await seedUser(f.region, f.tenantId);
    expect((await setPassword(f, member.id, { password: TEMPORARY })).status).toBe(200);
    expect((await signIn(f.region, f.tenant, { login: member.username, password: TEMPORARY })).status).toBe(200);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["mustChangePassword without a password", { mustChangePassword: true }, "mustChangePassword"],
    ["a password under the policy's length", { password: "short", mustChangePassword: true }, "password"],
  ])("%s is 400 validation_failed naming the field", async (_what, body, path) => {
    const f = await adminFixture();
    const member = await seedUser(f.region, f.tenantId);
    const problem = await problemOf(await setPassword(f, member.id, body), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
  });

  it("P a member who is no admin is 403 forbidden, and the password stays", async () => {
    const f = await adminFixture();
    const member = await seedUser(f.region, f.tenantId);
    await problemOf(await setPassword(f, member.id, { password: TEMPORARY, mustChangePassword: true }, await memberAuth(f)), 403, "forbidden");
    expect((await signIn(f.region, f.tenant, { login: member.username, password: PASSWORD })).status).toBe(200);
  });
});

describe("L sign-in with a temporary password", () => {
  it("L S the right temporary password is 403 password_change_required with a change token: no session, the attempt recorded, only the hash stored", async () => {
    const { f, member } = await withTemporaryPassword();
    const problem = await changeRequired(f, member);
    expect(problem.changeToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(problem.changeTokenExpiresIn).toBe(600);
    const sessions = await f.region.db.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL").bind(member.id).first<{ n: number }>();
    expect(sessions!.n).toBe(0);
    expect((await attemptCodes(f, member.id)).at(-1)).toBe("password_change_required");
    const stored = await f.region.db
      .prepare("SELECT token_hash, expires_at - created_at AS lifetime FROM account_tokens WHERE user_id = ? AND purpose = 'password_change' AND used_at IS NULL")
      .bind(member.id)
      .all<{ token_hash: string; lifetime: number }>();
    expect(stored.results).toEqual([{ token_hash: await sha256Base64url(problem.changeToken), lifetime: 600_000 }]);
  });

  it("L a wrong password is still 401 invalid_credentials, with no token", async () => {
    const { f, member } = await withTemporaryPassword();
    const problem = await problemOf(await signIn(f.region, f.tenant, { login: member.username, password: "not the password at all" }), 401, "invalid_credentials");
    expect(problem).not.toHaveProperty("changeToken");
  });
});

describe("POST /t/{tenant}/me/password { changeToken, newPassword, clientId }", () => {
  it("L S the change token sets the person's own password, clears the obligation, and signs in", async () => {
    const { f, member } = await withTemporaryPassword();
    const { changeToken } = await changeRequired(f, member);
    const response = await changeWithToken(f, { changeToken });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const tokens = (await response.json()) as TokenResponse;
    expect((await fetchMe(f.region, f.tenant, tokens.access_token)).status).toBe(200);

    await problemOf(await signIn(f.region, f.tenant, { login: member.username, password: TEMPORARY }), 401, "invalid_credentials");
    expect((await signIn(f.region, f.tenant, { login: member.username, password: CHOSEN })).status).toBe(200);
    const row = await f.region.db.prepare("SELECT must_change_password FROM users WHERE id = ?").bind(member.id).first<{ must_change_password: number }>();
    expect(row!.must_change_password).toBe(0);
  });

  it("S a change token works once; a second use (or a retry) is 400 naming changeToken", async () => {
    const { f, member } = await withTemporaryPassword();
    const { changeToken } = await changeRequired(f, member);
    expect((await changeWithToken(f, { changeToken })).status).toBe(200);
    const problem = await problemOf(await changeWithToken(f, { changeToken, newPassword: "yet another passphrase" }), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toEqual(["changeToken"]);
    expect((await signIn(f.region, f.tenant, { login: member.username, password: CHOSEN })).status).toBe(200);
  });

  it("S of two change tokens, only the newer one works", async () => {
    const { f, member } = await withTemporaryPassword();
    const older = await changeRequired(f, member);
    const newer = await changeRequired(f, member);
    await problemOf(await changeWithToken(f, { changeToken: older.changeToken }), 400, "validation_failed");
    expect((await changeWithToken(f, { changeToken: newer.changeToken })).status).toBe(200);
  });

  it("S an expired change token is refused", async () => {
    const { f, member } = await withTemporaryPassword();
    const { changeToken } = await changeRequired(f, member);
    await f.region.db.prepare("UPDATE account_tokens SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1000, member.id).run();
    await problemOf(await changeWithToken(f, { changeToken }), 400, "validation_failed");
  });

  it("T a change token of one tenant is refused in another, and stays usable at home", async () => {
    const { f, member } = await withTemporaryPassword();
    const other = await adminFixture();
    const { changeToken } = await changeRequired(f, member);
    await problemOf(await changeWithToken(other, { changeToken }), 400, "validation_failed");
    expect((await changeWithToken(f, { changeToken })).status).toBe(200);
  });

  it("S the temporary password itself, or one against the policy, is refused and the token stays usable", async () => {
    const { f, member } = await withTemporaryPassword();
    const { changeToken } = await changeRequired(f, member);
    for (const newPassword of [TEMPORARY, member.username]) {
      const problem = await problemOf(await changeWithToken(f, { changeToken, newPassword }), 400, "validation_failed");
      expect(problem.errors?.map((error) => error.path)).toEqual(["newPassword"]);
    }
    expect((await changeWithToken(f, { changeToken })).status).toBe(200);
  });

  it("S P a change token is no bearer token: it opens no authenticated route", async () => {
    const { f, member } = await withTemporaryPassword();
    const { changeToken } = await changeRequired(f, member);
    await problemOf(await f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer(changeToken) }), 401, "unauthorized");
    await problemOf(await changeWithToken(f, { currentPassword: TEMPORARY }, bearer(changeToken)), 401, "unauthorized");
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["both a change token and a current password", { changeToken: "x", currentPassword: "y" }, "currentPassword"],
    ["a change token without a client", { changeToken: "x", clientId: undefined }, "clientId"],
  ])("%s is 400 validation_failed naming the field", async (_what, body, path) => {
    const f = await adminFixture();
    const problem = await problemOf(await changeWithToken(f, body), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
  });

  it("P signed in, the change also clears an obligation to change", async () => {
    const f = await adminFixture();
    const member = await seedUser(f.region, f.tenantId);
    const tokens = await tokensFor(f.region, f.tenant, member.username);
    await f.region.db.prepare("UPDATE users SET must_change_password = 1 WHERE id = ?").bind(member.id).run();
    const response = await f.region.fetch(`/t/${f.tenant}/me/password`, json({ currentPassword: PASSWORD, newPassword: CHOSEN }, bearer(tokens.access_token)));
    expect(response.status).toBe(204);
    expect((await signIn(f.region, f.tenant, { login: member.username, password: CHOSEN })).status).toBe(200);
  });
});

describe("L last_sign_in_at", () => {
  it("L set by the sign-in the change token opens, not by the refused one", async () => {
    const { f, member } = await withTemporaryPassword();
    const lastSignIn = async () =>
      (await f.region.db.prepare("SELECT last_sign_in_at FROM users WHERE id = ?").bind(member.id).first<{ last_sign_in_at: number | null }>())!.last_sign_in_at;
    const before = await lastSignIn();
    const { changeToken } = await changeRequired(f, member);
    expect(await lastSignIn()).toBe(before);
    expect((await changeWithToken(f, { changeToken })).status).toBe(200);
    expect(await lastSignIn()).toBeGreaterThan(before ?? 0);
    expect((await attemptCodes(f, member.id)).at(-1)).toBeNull();
  });
});
