// Rules L, P and S for POST /t/{tenant}/me/password: a signed-in user changes the password only by giving
// the current one (a borrowed phone must not take over the account), wrong guesses of it count towards the
// tenant's lockout like failed sign-ins, the new password obeys the password policy, and every OTHER session
// of the user ends at once while the one that made the change goes on. Closes the holes of a stolen session
// outliving a password change and of an unlocked device used to guess the password without limit.
import { describe, expect, it } from "vitest";
import { eu, us } from "../support/regions";
import { json } from "../support/tenants";
import { problemOf } from "../support/problems";
import { refresh } from "../support/tokens";
import { bearer, fetchMe, PASSWORD, signedInUser, signIn, tokensFor, WRONG_PASSWORD, type SeededUser, type TokenResponse } from "../support/users";

const NEW_PASSWORD = "a brand new passphrase";

/** A tenant of its own, one user, and a session of theirs signed in with the password. */
type Fixture = Awaited<ReturnType<typeof signedInUser>>;

function changePassword(f: Fixture, body: Record<string, unknown>, headers: Record<string, string> = bearer(f.tokens.access_token)) {
  return f.region.fetch(`/t/${f.name}/me/password`, json(body, headers));
}

const signInStatus = async (f: Fixture, password: string) => (await signIn(f.region, f.name, { login: f.user.username, password })).status;

async function storedHash(f: Fixture): Promise<string | null | undefined> {
  const row = await f.region.db.prepare("SELECT password_hash FROM users WHERE id = ?").bind(f.user.id).first<{ password_hash: string | null }>();
  return row?.password_hash;
}


/** 400 validation_failed naming `path`, and the stored password left as it was. */
async function refusedField(f: Fixture, response: Response, path: string, hashBefore: string | null | undefined) {
  const problem = await problemOf(response, 400, "validation_failed");
  expect(problem.errors?.map((error) => error.path)).toContain(path);
  expect(await storedHash(f)).toBe(hashBefore);
}

describe("changing the password", () => {
  it("L 204: the new password signs in, the old one no longer does", async () => {
    const f = await signedInUser(us);
    const response = await changePassword(f, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect(await storedHash(f)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await signInStatus(f, NEW_PASSWORD)).toBe(200);
    expect(await signInStatus(f, PASSWORD)).toBe(401);
  });

  it("P the session that changed it goes on; the user's other sessions end at once", async () => {
    const f = await signedInUser();
    const other = await tokensFor(f.region, f.name, f.user.email);
    expect((await fetchMe(f.region, f.name, other.access_token)).status).toBe(200);

    expect((await changePassword(f, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(204);

    expect((await fetchMe(f.region, f.name, f.tokens.access_token)).status).toBe(200);
    const renewed = await refresh(f.region, f.name, f.tokens.refresh_token);
    expect(renewed.status).toBe(200);
    expect((await renewed.json()) as TokenResponse).toMatchObject({ token_type: "Bearer", refresh_token: expect.any(String) });

    await problemOf(await fetchMe(f.region, f.name, other.access_token), 401, "unauthorized");
    const refused = await refresh(f.region, f.name, other.refresh_token);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "invalid_grant" });
  });
});

describe("the current password", () => {
  it("L a wrong current password is 400 validation_failed naming currentPassword, and changes nothing", async () => {
    const f = await signedInUser();
    const before = await storedHash(f);
    await refusedField(f, await changePassword(f, { currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD }), "currentPassword", before);
    expect(await signInStatus(f, NEW_PASSWORD)).toBe(401);
    expect(await signInStatus(f, PASSWORD)).toBe(200);
  });

  it("L wrong current passwords count towards the lockout, which then holds for sign-in too", async () => {
    const f = await signedInUser(eu, { lockout: { maxAttempts: 3, lockoutSeconds: 60 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await changePassword(f, { currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD })).status);
    expect(statuses).toEqual([400, 400, 429]);

    const locked = await changePassword(f, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    await problemOf(locked, 429, "account_locked");
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await signInStatus(f, PASSWORD)).toBe(429);
  });
});

describe("the new password", () => {
  it.each<[string, (user: SeededUser) => string]>([
    ["too short", () => "short12"],
    ["too long", () => "p".repeat(257)],
    ["the username", (user) => user.username],
    ["the username in upper case", (user) => user.username.toUpperCase()],
    ["the e-mail address in another case", (user) => user.email.replace(/^./, (first) => first.toUpperCase()).replace("example", "EXAMPLE")],
  ])("S a new password %s is 400 validation_failed naming newPassword", async (_what, newPassword) => {
    const f = await signedInUser();
    const before = await storedHash(f);
    await refusedField(f, await changePassword(f, { currentPassword: PASSWORD, newPassword: newPassword(f.user) }), "newPassword", before);
    expect(await signInStatus(f, PASSWORD)).toBe(200);
  });
});

describe("authentication", () => {
  it.each<[string, (f: Fixture) => Promise<Record<string, string>>]>([
    ["no bearer token", async () => ({})],
    ["a malformed bearer token", async () => bearer("not-a-token")],
    ["an access token of another tenant", async () => bearer((await signedInUser()).tokens.access_token)],
  ])("P %s is 401 unauthorized with a challenge, and changes nothing", async (_what, headers) => {
    const f = await signedInUser();
    const before = await storedHash(f);
    const response = await changePassword(f, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, await headers(f));
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
    await problemOf(response, 401, "unauthorized");
    expect(await storedHash(f)).toBe(before);
  });
});
