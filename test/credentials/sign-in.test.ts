// Rule L, MyQ sign-in (POST /t/{tenant}/sign-in): the username or the e-mail address, in any case, within
// this tenant only; an unknown login and a wrong password answer alike, in body, headers and time;
// `account_inactive` only after the right password; failures lock the account by the tenant's policy,
// counted atomically however many arrive at once; every attempt is recorded for the admin's audit. Closes
// the holes of account enumeration (by answer or by timing), unbounded password guessing, logins leaking
// across tenants or regions, and sign-ins that leave no trace.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { eu, us, type Region } from "../support/regions";
import { CLIENT_ID, PASSWORD, seedUser, signIn, tenantWithUser, WRONG_PASSWORD, type TokenResponse, type UserSeed } from "../support/users";
import { previousHashes } from "../support/hashes";
import { problemOf } from "../support/problems";
import { countOf } from "../support/rows";

interface AttemptRow {
  at: number;
  login: string;
  user_id: string | null;
  success: number;
  code: string | null;
  method: string;
  ip: string | null;
  client_id: string | null;
  user_agent: string | null;
}

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

type Fixture = Awaited<ReturnType<typeof tenantWithUser>>;

/** A tenant of its own (with `lockout` as its policy, else the default) and one user in it. */
function fixture(options: { region?: Region; lockout?: { maxAttempts: number; lockoutSeconds: number }; user?: UserSeed } = {}): Promise<Fixture> {
  return tenantWithUser(options.region, options.lockout ? { lockout: options.lockout } : {}, options.user);
}

const attempt = (f: Fixture, body: Record<string, unknown>, headers?: Record<string, string>) =>
  signIn(f.region, f.name, body, headers);
const withPassword = (f: Fixture, password: string, login = f.user.username) => attempt(f, { login, password });


/** `times` wrong passwords for the fixture's user, one after another: the statuses answered. */
async function fail(f: Fixture, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await withPassword(f, WRONG_PASSWORD)).status);
  return statuses;
}

/** The seconds of a Retry-After header, which must be a positive integer no larger than `max`. */
function retryAfter(response: Response, max: number): number {
  const header = response.headers.get("Retry-After");
  expect(header).toMatch(/^\d+$/);
  const seconds = Number(header);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(max);
  return seconds;
}

function userRow(f: Fixture) {
  return f.region.db
    .prepare("SELECT failed_sign_ins, locked_until, password_hash FROM users WHERE id = ?")
    .bind(f.user.id)
    .first<{ failed_sign_ins: number; locked_until: number | null; password_hash: string | null }>();
}

async function attemptsOf(f: Fixture): Promise<AttemptRow[]> {
  const { results } = await f.region.db
    .prepare("SELECT at, login, user_id, success, code, method, ip, client_id, user_agent FROM sign_in_attempts WHERE tenant_id = ? ORDER BY id")
    .bind(f.tenantId)
    .all<AttemptRow>();
  return results;
}

/** The tenant's sessions: the admin never signs in here, so they are the user's. */
const sessionCount = (f: Fixture) => countOf(f.region, "SELECT count(*) AS n FROM sessions WHERE tenant_id = ?", f.tenantId);

/** Simulates the passage of time: the user's lock ran out a second ago. */
async function expireLock(f: Fixture) {
  await f.region.db.prepare("UPDATE users SET locked_until = ? WHERE id = ?").bind(Date.now() - 1000, f.user.id).run();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe("signing in", () => {
  it.each(["alice", "ALICE", "Alice", "alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.Com"])(
    "L signs in with the username or the e-mail address in any case (%s)",
    async (login) => {
      const f = await fixture({ user: { username: "Alice", email: "alice@Example.com" } });
      const response = await withPassword(f, PASSWORD, login);
      expect(response.status).toBe(200);
      expect(decodeJwt(((await response.json()) as TokenResponse).access_token).sub).toBe(f.user.id);
    },
  );

  it("L answers an RFC 6749 token response, with an ID token for the default scope openid", async () => {
    const f = await fixture({ region: us });
    const response = await withPassword(f, PASSWORD);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const tokens = (await response.json()) as TokenResponse;
    expect(tokens).toMatchObject({ token_type: "Bearer", scope: "openid" });
    expect(tokens.expires_in).toBeGreaterThan(0);
    expect(tokens.expires_in).toBeLessThanOrEqual(900);
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(tokens.access_token).toMatch(JWT);
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      iss: `${us.origin}/t/${f.name}`,
      sub: f.user.id,
      aud: CLIENT_ID,
      tid: f.tenantId,
      region: "us",
    });
    expect(tokens.id_token).toMatch(JWT);
    expect(decodeJwt(tokens.id_token ?? "")).toMatchObject({ sub: f.user.id, aud: CLIENT_ID });
  });

  it("L leaves the ID token out when the scope does not ask for openid", async () => {
    const f = await fixture();
    const response = await attempt(f, { login: f.user.email, password: PASSWORD, scope: "profile" });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as TokenResponse;
    expect(tokens.scope).toBe("profile");
    expect(tokens.access_token).toMatch(JWT);
    expect(tokens).not.toHaveProperty("id_token");
  });

  it("S a hash made with weaker Argon2id parameters signs in and is upgraded to today's", async () => {
    const f = await fixture();
    // Made by the previous Argon2 implementation, with weaker parameters, of PASSWORD.
    const weak = previousHashes.weak;
    await eu.db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").bind(weak, f.user.id).run();
    expect((await userRow(f))?.password_hash).toMatch(/^\$argon2id\$v=19\$m=4096,t=1,p=1\$/);

    expect((await withPassword(f, PASSWORD)).status).toBe(200);
    const upgraded = (await userRow(f))?.password_hash;
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // The new hash is of the same password.
    expect((await withPassword(f, PASSWORD)).status).toBe(200);
    expect((await userRow(f))?.password_hash).toBe(upgraded);
  });
});

describe("unknown login and wrong password", () => {
  it("L unknown login and wrong password answer alike: status, body and headers", async () => {
    const f = await fixture();
    const unknown = await withPassword(f, WRONG_PASSWORD, "nobody-at-all");
    const wrong = await withPassword(f, WRONG_PASSWORD);
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    // The same headers, but for the request's own id.
    const headers = (response: Response) => [...response.headers].filter(([name]) => name !== "x-request-id");
    expect(headers(unknown)).toEqual(headers(wrong));
    expect(unknown.headers.get("Retry-After")).toBeNull();
    const body = await unknown.text();
    expect(body).toBe(await wrong.text());
    expect(JSON.parse(body)).toMatchObject({ code: "invalid_credentials", status: 401 });
  });

  it("T a login of another tenant is invalid_credentials here, even with its right password", async () => {
    const [home, elsewhere] = [await fixture(), await fixture()];
    for (const login of [home.user.username, home.user.email]) {
      await problemOf(await withPassword(elsewhere, PASSWORD, login), 401, "invalid_credentials");
    }
    expect((await attemptsOf(elsewhere)).map((row) => row.user_id)).toEqual([null, null]);
    expect((await userRow(home))?.failed_sign_ins).toBe(0);
  });

  it("T a user of an eu tenant cannot sign in through us: 404 tenant_not_found naming eu", async () => {
    const f = await fixture({ region: eu });
    const response = await signIn(us, f.name, { login: f.user.username, password: PASSWORD });
    expect(await problemOf(response, 404, "tenant_not_found")).toMatchObject({ region: "eu" });
    expect(await attemptsOf(f)).toEqual([]);
  });

  it("L an unknown login is not answered faster than a wrong password: a (dummy) hash is verified", async () => {
    // Generous policy: the wrong passwords must all be checked, not refused by a lock.
    const f = await fixture({ lockout: { maxAttempts: 100, lockoutSeconds: 60 } });
    // Date.now() advances across I/O in workerd: a fetch of the Worker is I/O.
    const timed = async (login: string) => {
      const start = Date.now();
      const response = await withPassword(f, WRONG_PASSWORD, login);
      await response.arrayBuffer();
      expect(response.status).toBe(401);
      return Date.now() - start;
    };
    // Warm up: the isolate's dummy hash is made at its first unknown login.
    await timed("nobody-warm-up");
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) {
      unknown.push(await timed(`nobody-${i}`));
      wrong.push(await timed(f.user.username));
    }
    // An Argon2id verification at 19 MiB is measurable: otherwise the comparison would prove nothing.
    expect(median(wrong)).toBeGreaterThanOrEqual(5);
    expect(median(unknown)).toBeGreaterThanOrEqual(0.5 * median(wrong));
  });

  it("L a provider-only user (no password) cannot sign in with any password", async () => {
    const f = await fixture();
    await eu.db.prepare("UPDATE users SET password_hash = NULL WHERE id = ?").bind(f.user.id).run();
    for (const password of [PASSWORD, WRONG_PASSWORD, "x"]) {
      await problemOf(await withPassword(f, password), 401, "invalid_credentials");
    }
    expect(await sessionCount(f)).toBe(0);
  });
});

describe("accounts that may not sign in", () => {
  it.each([
    ["deactivated", { active: false, activatedAt: Date.now() - 86_400_000 }, /deactivated/],
    ["pending activation", { active: false, activatedAt: null }, /activation/],
  ])("L a %s account: a wrong password is invalid_credentials, only the right one says account_inactive", async (_what, user, detail) => {
    const f = await fixture({ user });
    await problemOf(await withPassword(f, WRONG_PASSWORD), 401, "invalid_credentials");
    const problem = await problemOf(await withPassword(f, PASSWORD), 403, "account_inactive");
    expect(problem.detail).toMatch(detail);
    expect(await sessionCount(f)).toBe(0);
  });

  it("P a disabled tenant is 403 tenant_disabled, and opens no session", async () => {
    const f = await fixture();
    await eu.db.prepare("UPDATE tenants SET enabled = 0 WHERE id = ?").bind(f.tenantId).run();
    await problemOf(await withPassword(f, PASSWORD), 403, "tenant_disabled");
    expect(await sessionCount(f)).toBe(0);
  });
});

describe("lockout by tenant policy", () => {
  const policy = { maxAttempts: 3, lockoutSeconds: 60 };

  it("L failures below the limit do not lock, and a success starts the count again", async () => {
    const f = await fixture({ lockout: policy });
    expect(await fail(f, 2)).toEqual([401, 401]);
    expect((await withPassword(f, PASSWORD)).status).toBe(200);
    expect(await userRow(f)).toMatchObject({ failed_sign_ins: 0, locked_until: null });
    expect(await fail(f, 2)).toEqual([401, 401]);
    expect((await withPassword(f, PASSWORD)).status).toBe(200);
  });

  it("L the failure that reaches the limit answers 429 account_locked with Retry-After; then even the right password is refused", async () => {
    const f = await fixture({ lockout: policy });
    const before = Date.now();
    expect(await fail(f, 2)).toEqual([401, 401]);
    const third = await withPassword(f, WRONG_PASSWORD);
    retryAfter(third, policy.lockoutSeconds);
    await problemOf(third, 429, "account_locked");

    const right = await withPassword(f, PASSWORD);
    retryAfter(right, policy.lockoutSeconds);
    await problemOf(right, 429, "account_locked");
    // ...by the e-mail address too: the lock is the account's, not the login's.
    await problemOf(await withPassword(f, PASSWORD, f.user.email.toUpperCase()), 429, "account_locked");

    const row = await userRow(f);
    expect(row?.failed_sign_ins).toBe(3);
    expect(row?.locked_until).toBeGreaterThan(before);
    expect(row?.locked_until).toBeLessThanOrEqual(Date.now() + policy.lockoutSeconds * 1000);
    expect(await sessionCount(f)).toBe(0);
  });

  it("L the default policy locks at the 5th failure", async () => {
    const f = await fixture({ region: us });
    expect(await fail(f, 5)).toEqual([401, 401, 401, 401, 429]);
    const locked = await withPassword(f, PASSWORD);
    expect(locked.status).toBe(429);
    retryAfter(locked, 900);
  });

  it("L a lock that has run out lets the right password in, and clears the count", async () => {
    const f = await fixture({ lockout: policy });
    expect(await fail(f, 3)).toEqual([401, 401, 429]);
    await expireLock(f);
    expect((await withPassword(f, PASSWORD)).status).toBe(200);
    expect(await userRow(f)).toMatchObject({ failed_sign_ins: 0, locked_until: null });
  });

  it("L after a lock has run out the count starts again: one failure does not lock anew", async () => {
    const f = await fixture({ lockout: policy });
    expect(await fail(f, 3)).toEqual([401, 401, 429]);
    await expireLock(f);
    expect(await fail(f, 1)).toEqual([401]);
    expect(await userRow(f)).toMatchObject({ failed_sign_ins: 1, locked_until: null });
    expect(await fail(f, 2)).toEqual([401, 429]);
  });

  it("L concurrent failures are all counted, and lock the account", async () => {
    const maxAttempts = 5;
    const f = await fixture({ lockout: { maxAttempts, lockoutSeconds: 60 } });
    const responses = await Promise.all(Array.from({ length: 10 }, () => withPassword(f, WRONG_PASSWORD)));
    // Only the failures counted below the limit answer 401; every other one is the lock.
    expect(responses.map((response) => response.status).sort()).toEqual([...Array(maxAttempts - 1).fill(401), ...Array(10 - maxAttempts + 1).fill(429)]);

    const recorded = await attemptsOf(f);
    expect(recorded).toHaveLength(10);
    expect(recorded.every((row) => row.user_id === f.user.id && row.success === 0)).toBe(true);
    const row = await userRow(f);
    // Every attempt is counted before its password is checked, so a burst checks exactly the limit's worth
    // of passwords (before, all ten were checked, and a right one among them signed in past the lock).
    expect(row?.failed_sign_ins).toBe(maxAttempts);
    expect(recorded.filter((r) => r.code === "invalid_credentials")).toHaveLength(maxAttempts - 1);
    expect(row?.locked_until).toBeGreaterThan(Date.now());

    await problemOf(await withPassword(f, PASSWORD), 429, "account_locked");
  });
});

describe("the sign-in record", () => {
  it("L records every attempt: time, login as typed, user, outcome, method, IP, client and user agent", async () => {
    const f = await fixture({ lockout: { maxAttempts: 2, lockoutSeconds: 60 }, user: { username: "alice", email: "alice@example.com" } });
    const inactive = await seedUser(eu, f.tenantId, { username: "bob", active: false });
    const steps: [login: string, password: string, status: number, userId: string | null, code: string | null][] = [
      ["ALICE@Example.com", PASSWORD, 200, f.user.id, null],
      ["nobody@example.com", WRONG_PASSWORD, 401, null, "invalid_credentials"],
      ["Alice", WRONG_PASSWORD, 401, f.user.id, "invalid_credentials"],
      ["BOB", PASSWORD, 403, inactive.id, "account_inactive"],
      // The failure that reaches the limit answers as the lock, and is recorded as what it answered.
      ["alice", WRONG_PASSWORD, 429, f.user.id, "account_locked"],
      ["alice@EXAMPLE.com", PASSWORD, 429, f.user.id, "account_locked"],
    ];
    const before = Date.now();
    for (const [i, [login, password, status]] of steps.entries()) {
      const headers = { "CF-Connecting-IP": `203.0.113.${i + 1}`, "User-Agent": `PrintID/3.${i} (iPhone; iOS 18.1)` };
      expect((await attempt(f, { login, password }, headers)).status).toBe(status);
    }

    const recorded = await attemptsOf(f);
    expect(recorded).toEqual(
      steps.map(([login, , , userId, code], i) => ({
        at: expect.any(Number),
        login,
        user_id: userId,
        success: code === null ? 1 : 0,
        code,
        method: "password",
        ip: `203.0.113.${i + 1}`,
        client_id: CLIENT_ID,
        user_agent: `PrintID/3.${i} (iPhone; iOS 18.1)`,
      })),
    );
    for (const row of recorded) {
      expect(row.at).toBeGreaterThanOrEqual(before);
      expect(row.at).toBeLessThanOrEqual(Date.now());
    }
  });
});

describe("bad input", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["a missing login", { login: undefined }, "login"],
    ["a missing password", { password: undefined }, "password"],
    ["an empty login", { login: "" }, "login"],
    ["a login of blanks", { login: "   " }, "login"],
    ["an empty password", { password: "" }, "password"],
    ["a login over 320 characters", { login: `${"a".repeat(310)}@example.com` }, "login"],
    ["a password over 256 characters", { password: "p".repeat(257) }, "password"],
    ["an unknown client", { clientId: "someone-elses-app" }, "clientId"],
    ["a confidential client, which has no secret to give here (it signs people in through /authorize)", { clientId: "printid-web" }, "clientId"],
    ["a missing client", { clientId: undefined }, "clientId"],
    ["a scope over 500 characters", { scope: `openid ${"x".repeat(500)}` }, "scope"],
    ["a scope this issuer does not grant", { scope: "openid admin" }, "scope"],
  ])("L %s is 400 validation_failed naming the field, and signs nobody in", async (_what, override, path) => {
    const f = await fixture();
    const response = await attempt(f, { login: f.user.username, password: PASSWORD, ...override });
    const problem = await problemOf(response, 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
    expect((await attemptsOf(f)).filter((row) => row.success === 1)).toEqual([]);
    expect(await sessionCount(f)).toBe(0);
  });

  it.each<[string, string, (body: string) => string, number, string]>([
    ["a JSON body sent as text/plain", "text/plain", (body) => body, 415, "unsupported_media_type"],
    ["malformed JSON", "application/json", (body) => body.slice(0, -1), 400, "validation_failed"],
  ])("L %s is refused, and signs nobody in", async (_what, type, mangle, status, code) => {
    const f = await fixture();
    const body = JSON.stringify({ login: f.user.username, password: PASSWORD, clientId: CLIENT_ID });
    const response = await eu.fetch(`/t/${f.name}/sign-in`, {
      method: "POST",
      headers: { "Content-Type": type },
      body: mangle(body),
    });
    await problemOf(response, status, code);
    expect((await attemptsOf(f)).filter((row) => row.success === 1)).toEqual([]);
    expect(await sessionCount(f)).toBe(0);
  });

  it("L a login of exactly 320 characters is a login like any other", async () => {
    const f = await fixture();
    await problemOf(await attempt(f, { login: `${"a".repeat(308)}@example.com`, password: WRONG_PASSWORD }), 401, "invalid_credentials");
  });
});
