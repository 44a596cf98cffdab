// Rule L, exactly: a login resolves to one account before anything is counted and only that account's
// count moves; logins that name nobody lock on the same schedule as real ones, in a bounded table;
// correct passwords are never refused however many arrive at once, while a burst still checks no more
// wrong ones than the policy allows; the password change goes through the same check; and a database
// fault never counts against a person (rule H). Closes: a locked account signing in through a second
// account whose e-mail equals its username, an existence oracle in the lockout itself, shared scan
// accounts refused 429 for signing in at once, and accounts locked by our own outages.
import { describe, expect, it } from "vitest";
import { BUCKETS } from "../../src/credentials/login-buckets";
import { faultyRegion } from "../support/faults";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { createTenant, json, uniqueSlug } from "../support/tenants";
import { bearer, PASSWORD, seedUser, signIn, tokensFor, WRONG_PASSWORD } from "../support/users";

const policy = { maxAttempts: 3, lockoutSeconds: 60 };

async function tenantWith(lockout = policy) {
  const { name, body } = await createTenant(eu, uniqueSlug("lockout"), { settings: { lockout } });
  return { tenant: name, tenantId: body.id };
}

const counters = (id: string) =>
  eu.db
    .prepare("SELECT failed_sign_ins AS failures, locked_until AS lockedUntil, password_checks_in_flight AS inFlight FROM users WHERE id = ?")
    .bind(id)
    .first<{ failures: number; lockedUntil: number | null; inFlight: number }>();

const statuses = async (responses: Promise<Response>[]) => (await Promise.all(responses)).map((r) => r.status);

describe("L: one login, one account", () => {
  it("L a login matching one account's username and another's (legacy) e-mail counts and checks only the username's account", async () => {
    const { tenant, tenantId } = await tenantWith();
    const locked = await seedUser(eu, tenantId, { username: "alice", password: "alice's own password" });
    // A row from before e-mails were validated: another person's "e-mail" is alice's username.
    const other = await seedUser(eu, tenantId, { username: "mallory" });
    await eu.db.prepare("UPDATE users SET email = 'alice' WHERE id = ?").bind(other.id).run();

    expect(await statuses([1, 2, 3].map(() => signIn(eu, tenant, { login: "alice", password: WRONG_PASSWORD })))).toEqual([401, 401, 429]);
    // Locked: the other account's right password does not get through the shared login either.
    await problemOf(await signIn(eu, tenant, { login: "alice", password: PASSWORD }), 429, "account_locked");
    expect(await counters(other.id)).toMatchObject({ failures: 0, lockedUntil: null, inFlight: 0 });
    expect((await counters(locked.id))?.failures).toBe(3);
  });
});

describe("L: logins that name nobody", () => {
  it("L an unknown login answers on the same schedule as a known one: 401, 401, then 429 with Retry-After", async () => {
    const { tenant, tenantId } = await tenantWith();
    const known = await seedUser(eu, tenantId, { username: "known" });
    const schedule = async (login: string) => {
      const answers: Response[] = [];
      for (let i = 0; i < 5; i++) answers.push(await signIn(eu, tenant, { login, password: WRONG_PASSWORD }));
      return answers.map((r) => [r.status, r.headers.get("Retry-After") !== null]);
    };
    const expected = [[401, false], [401, false], [429, true], [429, true], [429, true]];
    expect(await schedule(known.username)).toEqual(expected);
    expect(await schedule("nobody-by-this-name")).toEqual(expected);
    // The lock of an unknown login is its own: another unknown one still answers 401.
    expect((await signIn(eu, tenant, { login: "someone-else", password: WRONG_PASSWORD })).status).toBe(401);
  });

  it("L an unknown login is the same bucket in any case, and spraying logins writes only bounded buckets", async () => {
    const { tenant, tenantId } = await tenantWith();
    for (const login of ["Ghost", "GHOST"]) await signIn(eu, tenant, { login, password: WRONG_PASSWORD });
    const sprayed = Array.from({ length: 30 }, (_, i) => `spray-${i}@example.com`);
    for (const login of sprayed) await signIn(eu, tenant, { login, password: WRONG_PASSWORD });
    const { results } = await eu.db
      .prepare("SELECT bucket, failures FROM unknown_login_failures WHERE tenant_id = ?")
      .bind(tenantId)
      .all<{ bucket: number; failures: number }>();
    // 31 distinct logins (Ghost in two cases is one), 32 failures; every bucket is within the bound.
    expect(results.reduce((sum, row) => sum + row.failures, 0)).toBe(32);
    expect(results.length).toBeLessThanOrEqual(31);
    expect(results.every((row) => Number.isInteger(row.bucket) && row.bucket >= 0 && row.bucket < BUCKETS)).toBe(true);
    expect(results.some((row) => row.failures === 2)).toBe(true);
  });

  it("T an unknown login locked in one tenant is not locked in another", async () => {
    const [a, b] = [await tenantWith(), await tenantWith()];
    const tries = async (tenant: string) => {
      const answers: number[] = [];
      for (let i = 0; i < 3; i++) answers.push((await signIn(eu, tenant, { login: "ghost-of-both", password: WRONG_PASSWORD })).status);
      return answers;
    };
    expect(await tries(a.tenant)).toEqual([401, 401, 429]);
    expect(await tries(b.tenant)).toEqual([401, 401, 429]);
  });

  it("L a known login never writes a bucket", async () => {
    const { tenant, tenantId } = await tenantWith();
    const user = await seedUser(eu, tenantId);
    await signIn(eu, tenant, { login: user.email, password: WRONG_PASSWORD });
    const row = await eu.db.prepare("SELECT count(*) AS n FROM unknown_login_failures WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>();
    expect(row?.n).toBe(0);
  });
});

describe("L: concurrency", () => {
  it("L ten concurrent sign-ins with the right password, five rounds: all 200, nothing counted", async () => {
    const { tenant, tenantId } = await tenantWith({ maxAttempts: 5, lockoutSeconds: 60 });
    const user = await seedUser(eu, tenantId);
    for (let round = 0; round < 5; round++) {
      const fromAnywhere = () => signIn(eu, tenant, { login: user.username, password: PASSWORD }, { "CF-Connecting-IP": crypto.randomUUID() });
      expect(await statuses(Array.from({ length: 10 }, fromAnywhere))).toEqual(
        Array(10).fill(200),
      );
    }
    expect(await counters(user.id)).toMatchObject({ failures: 0, lockedUntil: null, inFlight: 0 });
  });

  it("L right and wrong passwords at once: every right one signs in until the wrong ones lock, and at most the limit's worth of wrong ones is checked", async () => {
    const { tenant, tenantId } = await tenantWith({ maxAttempts: 3, lockoutSeconds: 60 });
    const user = await seedUser(eu, tenantId);
    const answers = await statuses(
      Array.from({ length: 12 }, (_, i) => signIn(eu, tenant, { login: user.username, password: i % 2 ? WRONG_PASSWORD : PASSWORD })),
    );
    const wrong = answers.filter((_, i) => i % 2 === 1);
    // A wrong password answers 401 or, once the limit is reached, 429; never 200.
    expect(wrong.every((status) => status === 401 || status === 429)).toBe(true);
    const right = answers.filter((_, i) => i % 2 === 0);
    expect(right.every((status) => status === 200 || status === 429)).toBe(true);
    const row = await counters(user.id);
    expect(row?.failures).toBeLessThanOrEqual(3);
    expect(row?.inFlight).toBe(0);
  });
});

describe("L: the password change goes through the same check", () => {
  it("L wrong current passwords count towards the lock, which then refuses sign-in too", async () => {
    const { tenant, tenantId } = await tenantWith();
    const user = await seedUser(eu, tenantId);
    const auth = bearer((await tokensFor(eu, tenant, user.username)).access_token);
    const change = () =>
      eu.fetch(`/t/${tenant}/me/password`, json({ currentPassword: WRONG_PASSWORD, newPassword: "a brand new passphrase" }, auth));
    const answers: number[] = [];
    for (let i = 0; i < 3; i++) answers.push((await change()).status);
    expect(answers).toEqual([400, 400, 429]);
    await problemOf(await signIn(eu, tenant, { login: user.username, password: PASSWORD }), 429, "account_locked");
  });
});

describe("H: a database fault never counts against a person", () => {
  it("H six correct sign-ins failing on D1 at every step answer 503, lock nothing, and are recorded as unavailable", async () => {
    const { tenant, tenantId } = await tenantWith({ maxAttempts: 3, lockoutSeconds: 900 });
    const user = await seedUser(eu, tenantId);
    // D1 calls of a sign-in: 1 the tenant, 2 the check (user + slot), 3 the session and its record.
    for (const n of [2, 3, 2, 3, 2, 3]) {
      const { region } = faultyRegion({ kind: "nth", n });
      await problemOf(await signIn(region, tenant, { login: user.username, password: PASSWORD }), 503, "unavailable");
    }
    expect(await counters(user.id)).toMatchObject({ failures: 0, lockedUntil: null, inFlight: 0 });
    expect((await signIn(eu, tenant, { login: user.username, password: PASSWORD })).status).toBe(200);
    const { results } = await eu.db
      .prepare("SELECT code FROM sign_in_attempts WHERE tenant_id = ? AND user_id = ? ORDER BY id")
      .bind(tenantId, user.id)
      .all<{ code: string | null }>();
    // The three that failed at the session say so; the three that failed at the check wrote nothing.
    expect(results.map((row) => row.code)).toEqual(["unavailable", "unavailable", "unavailable", null]);
  });

  it("H a check whose request died is given back after its lease: a leaked slot does not lock the account", async () => {
    const { tenant, tenantId } = await tenantWith({ maxAttempts: 3, lockoutSeconds: 900 });
    const user = await seedUser(eu, tenantId);
    // Three slots held by requests that vanished 31 s ago.
    await eu.db
      .prepare("UPDATE users SET password_checks_in_flight = 3, password_checks_since = ? WHERE id = ?")
      .bind(Date.now() - 31_000, user.id)
      .run();
    expect((await signIn(eu, tenant, { login: user.username, password: PASSWORD })).status).toBe(200);
    expect(await counters(user.id)).toMatchObject({ failures: 0, inFlight: 0 });
  });
});

describe("H: sign-in at 20 % random D1 faults", () => {
  it("H apps that retry every 503 all sign in, and the account is never locked by our faults", async () => {
    const { tenant, tenantId } = await tenantWith({ maxAttempts: 5, lockoutSeconds: 900 });
    const user = await seedUser(eu, tenantId);
    const { region } = faultyRegion({ kind: "random", rate: 0.2, seed: 7 }, 10_000);
    const signInRetrying = async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        // Each from its own address: this test is about faults, not the rate limit.
        const response = await signIn(region, tenant, { login: user.username, password: PASSWORD }, { "CF-Connecting-IP": crypto.randomUUID() });
        if (response.status !== 503) return response.status;
      }
      return 503;
    };
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push(await signInRetrying());
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const row = await counters(user.id);
    expect(row).toMatchObject({ failures: 0, lockedUntil: null });
  });
});
