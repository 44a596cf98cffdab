// Issue 12, point 5: every hot query uses an index (rules L, P, S, H). The eu Worker runs over its real D1
// through a binding that records every statement it executes, with its bound parameters (batches
// included; support/query-plans.ts); the hot routes are driven over HTTP as the app and the console drive
// them; then SQLite's EXPLAIN QUERY PLAN of each recorded statement, with those parameters, must show no
// table scan (`tableScans` there says exactly what counts as one). The SQL is never written here: whatever
// a route runs today is what is checked, so a rewrite of a query (refresh tokens are being redesigned) is
// checked as it stands. Each test also asserts that the route answered as it should and that the tables
// it is about were touched, so that a test cannot pass by running nothing.
//
// Data: one tenant with a few hundred users (some with a session, a refresh token and a linked identity),
// a few hundred sign-in attempts, unknown-login buckets and authorization codes, beside a few other
// tenants, seeded through the schema. Each plan is taken twice: first without statistics (a database
// nobody has run ANALYZE on, as D1 starts: SQLite plans by its built-in guesses), then after ANALYZE
// (sqlite_stat1 filled from these rows, as after a `PRAGMA optimize`: SQLite then plans by cost, and may
// prefer a scan or a sort when it believes a table or a tenant's share of it is small). A plan that scans
// in either case fails. The tests share one database, so statistics are forgotten before each first pass.
//
// Holes closed: a lookup that loses its index (a lower() that no longer matches the expression index, a
// join on a column nobody indexed, a new filter that SQLite answers by building an automatic index) and
// turns every sign-in, /me, refresh or admin page into a read of a whole table.
import { decodeJwt } from "jose";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/credentials/password";
import { authorizationCodes, externalIdentities, sessions, signInAttempts, unknownLoginFailures, users } from "../../src/db/schema";
import { issueAuthorizationCode } from "../../src/tokens/codes";
import { database } from "../../src/db/client";
import { Browser, consoleOf, page, signedInBrowser } from "../console/support";
import { testEnv as env } from "../support/env";
import { expectIndexedOnly, listPlans, planOf, recordingRegion, tableScans } from "../support/query-plans";
import { eu } from "../support/regions";
import { createTenant, uniqueSlug } from "../support/tenants";
import { APP_REDIRECT_URI, pkce, refresh, revoke, sha256Base64url } from "../support/tokens";
import { bearer, CLIENT_ID, PASSWORD, signIn, tokenRequest, WRONG_PASSWORD, type TokenResponse } from "../support/users";

const recorder = recordingRegion();
const rec = recorder.region;

// The data: a big tenant, and its neighbours.

const BIG_USERS = 400;
const ATTEMPTS = 400;

interface Big {
  name: string;
  tenantId: string;
  /** A seeded user who signs in with PASSWORD. */
  login: { username: string; email: string; id: string };
}

let big: Big;

async function seed(): Promise<Big> {
  const db = drizzle(env.DB);
  const passwordHash = await hashPassword(PASSWORD);
  const tenantsMade = [];
  for (let i = 0; i < 4; i++) tenantsMade.push(await createTenant(eu, uniqueSlug("plans")));
  const [first, ...others] = tenantsMade;
  const tenantId = first!.body.id;
  const now = Date.now();

  const userRows = (tenant: string, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const id = crypto.randomUUID();
      const username = `person-${i}-${id.slice(0, 6)}`;
      return {
        id,
        tenantId: tenant,
        username,
        email: `${username}@example.com`,
        firstName: `First${i}`,
        lastName: `Last${i}`,
        kind: "work" as const,
        // Some wait for activation, some were deactivated: every status filter has rows to find.
        active: i % 10 !== 0,
        activatedAt: i % 20 === 0 ? null : new Date(now - i * 1000),
        roles: [],
        createdVia: "admin" as const,
        passwordHash,
        createdAt: new Date(now - (count - i) * 60_000),
        updatedAt: new Date(now),
      };
    });
  const bigUsers = userRows(tenantId, BIG_USERS);
  const otherUsers = others.flatMap((t) => userRows(t.body.id, 40));
  const allUsers = [...bigUsers, ...otherUsers];
  await db.batch(allUsers.map((u) => db.insert(users).values(u)) as never);

  // Sessions (half of them ended, some revoked); linked identities.
  const writes = [];
  for (const [i, u] of allUsers.entries()) {
    if (i % 2 !== 0) continue;
    const sessionId = crypto.randomUUID();
    writes.push(
      db.insert(sessions).values({
        id: sessionId,
        tenantId: u.tenantId,
        userId: u.id,
        clientId: CLIENT_ID,
        method: "password",
        scope: "openid",
        createdAt: new Date(now - 3600_000),
        expiresAt: new Date(now + (i % 4 === 0 ? -1 : 1) * 24 * 3600_000),
        revokedAt: i % 8 === 0 ? new Date(now - 60_000) : null,
      }),
    );
    if (i % 3 === 0) {
      writes.push(db.insert(externalIdentities).values({ id: crypto.randomUUID(), tenantId: u.tenantId, userId: u.id, provider: "google", subject: `g-${u.id}`, email: null, createdAt: new Date(now) }));
    }
    writes.push(
      db.insert(authorizationCodes).values({
        codeHash: await sha256Base64url(`code-${u.id}`),
        tenantId: u.tenantId,
        clientId: CLIENT_ID,
        redirectUri: APP_REDIRECT_URI,
        userId: u.id,
        method: "google",
        codeChallenge: "x".repeat(43),
        scope: "openid",
        createdAt: new Date(now - 60_000),
        expiresAt: new Date(now + (i % 4 === 0 ? -1 : 1) * 240_000),
      }),
    );
  }
  for (const t of tenantsMade) {
    for (let i = 0; i < ATTEMPTS / 2; i++) {
      writes.push(
        db.insert(signInAttempts).values({
          tenantId: t.body.id,
          at: new Date(now - i * 1000),
          login: `login-${i}`,
          userId: null,
          success: i % 3 === 0,
          code: i % 3 === 0 ? null : "invalid_credentials",
          method: "password",
          clientId: CLIENT_ID,
          ip: "203.0.113.9",
          userAgent: "seed",
        }),
      );
    }
    for (let bucket = 0; bucket < 100; bucket++) {
      writes.push(db.insert(unknownLoginFailures).values({ tenantId: t.body.id, bucket: bucket * 600, failures: 1, lockedUntil: null, updatedAt: new Date(now) }));
    }
  }
  for (let i = 0; i < writes.length; i += 500) await db.batch(writes.slice(i, i + 500) as never);

  const person = bigUsers.find((u) => u.active)!;
  return { name: first!.name, tenantId, login: { username: person.username, email: person.email!, id: person.id } };
}

beforeAll(async () => {
  big = await seed();
}, 120_000);

/** Signs `login` in through the recording region; the tokens. */
async function signedIn(login = big.login.username): Promise<TokenResponse> {
  const response = await signIn(rec, big.name, { login, password: PASSWORD });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as TokenResponse;
}

describe("sign-in (POST /t/{tenant}/sign-in)", () => {
  it("L a sign-in by username reads the tenant, the user and its slot, and settles, by indexes only", async () => {
    const statements = await recorder.during(() => signedIn(big.login.username));
    const plans = await expectIndexedOnly(statements, ["tenants", "users", "sessions", "sign_in_attempts"]);
    // The login resolves through the lower() expression indexes, not the tenant's whole share of users.
    const login = [...plans].filter(([s]) => s.sql.includes("lower(\"users\".\"username\")") || s.sql.includes("lower(\"username\")"));
    expect(login.length, "the user-by-login read was recorded").toBeGreaterThan(0);
    for (const [, passes] of login) {
      const details = passes.flat().map((row) => row.detail).join("\n");
      expect(details).toContain("USING INDEX users_tenant_username_unique (tenant_id=? AND <expr>=?)");
      expect(details).toContain("USING INDEX users_tenant_email_unique (tenant_id=? AND <expr>=?)");
    }
  });

  it("L a sign-in by e-mail in capitals with a wrong password counts the failure by indexes only", async () => {
    const statements = await recorder.during(async () => {
      const response = await signIn(rec, big.name, { login: big.login.email.toUpperCase(), password: WRONG_PASSWORD });
      expect(response.status).toBe(401);
    });
    await expectIndexedOnly(statements, ["tenants", "users", "sign_in_attempts"]);
  });

  it("L a login that names nobody counts in its bucket by indexes only", async () => {
    const statements = await recorder.during(async () => {
      const response = await signIn(rec, big.name, { login: "Nobody.At.All@Example.com", password: WRONG_PASSWORD });
      expect(response.status).toBe(401);
    });
    await expectIndexedOnly(statements, ["tenants", "users", "unknown_login_failures", "sign_in_attempts"]);
  });
});

describe("rule P's read on every authenticated request", () => {
  it("P GET /me with an access token reads tenant, session, user and identities by indexes only", async () => {
    const tokens = await signedIn();
    const statements = await recorder.during(async () => {
      const response = await rec.fetch(`/t/${big.name}/me`, { headers: bearer(tokens.access_token) });
      expect(response.status).toBe(200);
    });
    await expectIndexedOnly(statements, ["tenants", "sessions", "users", "external_identities"]);
  });

  it("P a console page with the session cookie reads the principal by the session its token names, by indexes only", async () => {
    const browser: Browser = await signedInBrowser(big.name, "admin", PASSWORD, rec);
    // The settings page: rule P's read and the page's own (the users page's list is the admin list's test).
    const statements = await recorder.during(() => page(browser, `${consoleOf(big.name)}/settings`));
    await expectIndexedOnly(statements, ["tenants", "sessions", "users"]);
  });
});

describe("tokens (POST /t/{tenant}/token, /revoke)", () => {
  it("S refresh rotation uses indexes only, a retry within the window too", async () => {
    const tokens = await signedIn();
    const statements = await recorder.during(async () => {
      for (let i = 0; i < 2; i++) {
        const response = await refresh(rec, big.name, tokens.refresh_token!);
        expect(response.status, await response.clone().text()).toBe(200);
      }
    });
    await expectIndexedOnly(statements, ["sessions"]);
  });

  it("S a stale refresh token revokes its session by indexes only", async () => {
    const tokens = await signedIn();
    expect((await refresh(rec, big.name, tokens.refresh_token!)).status).toBe(200);
    // Presented again long after the window (moved into the past), it is reuse: the session is revoked.
    await env.DB.prepare("UPDATE sessions SET refreshed_at = ? WHERE id = ?")
      .bind(Date.now() - 3600_000, decodeJwt(tokens.access_token).sid)
      .run();
    const statements = await recorder.during(async () => {
      const response = await refresh(rec, big.name, tokens.refresh_token!);
      expect(response.status).toBe(400);
    });
    await expectIndexedOnly(statements, ["sessions"]);
  });

  it("S revocation of a refresh token and of an access token finds and ends the session by indexes only", async () => {
    const first = await signedIn();
    const second = await signedIn();
    const statements = await recorder.during(async () => {
      expect((await revoke(rec, big.name, first.refresh_token!)).status).toBe(200);
      expect((await revoke(rec, big.name, second.access_token)).status).toBe(200);
    });
    await expectIndexedOnly(statements, ["sessions"]);
    const ended = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE id = ? AND revoked_at IS NOT NULL")
      .bind(decodeJwt(second.access_token).sid)
      .first<{ n: number }>();
    expect(ended?.n).toBe(1);
  });

  it("S authorization-code redemption, and a replayed code revoking its session, use indexes only", async () => {
    const { verifier, challenge } = await pkce();
    const code = await issueAuthorizationCode(database(env.DB), {
      tenantId: big.tenantId,
      userId: big.login.id,
      clientId: CLIENT_ID,
      redirectUri: APP_REDIRECT_URI,
      method: "google",
      codeChallenge: challenge,
      scope: "openid",
    });
    const grant = { grant_type: "authorization_code", code, redirect_uri: APP_REDIRECT_URI, code_verifier: verifier };
    const statements = await recorder.during(async () => {
      const redeemed = await tokenRequest(rec, big.name, grant);
      expect(redeemed.status, await redeemed.clone().text()).toBe(200);
      expect((await tokenRequest(rec, big.name, grant)).status).toBe(400);
    });
    await expectIndexedOnly(statements, ["authorization_codes", "users", "sessions"]);
  });
});

describe("the admin's lists", () => {
  /** The tenant's first admin's bearer header, signed in through the recording region. */
  async function adminHeader() {
    const response = await signIn(rec, big.name, { login: "admin", password: PASSWORD });
    expect(response.status).toBe(200);
    return bearer(((await response.json()) as TokenResponse).access_token);
  }

  it("P T the user list, its next page, a status filter and a search use indexes only, newest first from the index", async () => {
    const auth = await adminHeader();
    const statements = await recorder.during(async () => {
      const path = `/t/${big.name}/admin/users`;
      const first = await rec.fetch(`${path}?limit=20`, { headers: auth });
      expect(first.status).toBe(200);
      const { nextCursor } = (await first.json()) as { nextCursor: string };
      for (const query of [`limit=20&cursor=${nextCursor}`, "status=pending", "status=active&limit=5", "q=PERSON-1", "q=last3&status=inactive"]) {
        const response = await rec.fetch(`${path}?${query}`, { headers: auth });
        expect(response.status, query).toBe(200);
      }
    });
    const plans = await expectIndexedOnly(statements, ["users", "external_identities"]);
    const lists = listPlans(plans, "users");
    // Six pages, each planned twice; and the filtered pages' window end (accounts/queries.ts), which read
    // at most FILTER_WINDOW users each: the same statement for all four here, so recorded once.
    const pages = lists.filter(([context]) => context.includes("external_identities"));
    expect(pages.length).toBe(12);
    expect(lists.length - pages.length).toBe(2);
    for (const [context, plan] of lists) {
      // The tenant's users are read through (tenant_id, created_at, id) in that order: not all of them
      // gathered and sorted to give one page.
      expect.soft(plan, context).toMatch(/SEARCH users USING (COVERING )?INDEX users_tenant_created \(tenant_id=\?/);
      expect.soft(plan, context).not.toContain("USE TEMP B-TREE FOR ORDER BY");
    }
  });

  it("L P the sign-in attempts list and its next page use indexes only, newest first from the index", async () => {
    const auth = await adminHeader();
    const statements = await recorder.during(async () => {
      const path = `/t/${big.name}/admin/sign-in-attempts`;
      const first = await rec.fetch(`${path}?limit=25`, { headers: auth });
      expect(first.status).toBe(200);
      const { nextCursor } = (await first.json()) as { nextCursor: string };
      expect((await rec.fetch(`${path}?limit=25&cursor=${nextCursor}`, { headers: auth })).status).toBe(200);
    });
    const plans = await expectIndexedOnly(statements, ["sign_in_attempts"]);
    const lists = listPlans(plans, "sign_in_attempts");
    expect(lists.length).toBe(4);
    for (const [context, plan] of lists) {
      expect.soft(plan, context).toMatch(/SEARCH sign_in_attempts USING (COVERING )?INDEX sign_in_attempts_tenant_id \(tenant_id=\?/);
      expect.soft(plan, context).not.toContain("USE TEMP B-TREE FOR ORDER BY");
    }
  });
});

describe("the panel (issue 15)", () => {
  it("D a new PIN, and a panel's sign-in by PIN, by card and by an unknown PIN, use indexes only", async () => {
    const auth = bearer((await signedIn("admin")).access_token);
    const registered = await rec.fetch(`/t/${big.name}/admin/devices`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Plans panel", kind: "panel" }),
    });
    const panel = (await registered.json()) as { id: string; clientSecret: string };
    const panelAuth = { Authorization: `Basic ${btoa(`${panel.id}:${panel.clientSecret}`)}`, "Content-Type": "application/json" };
    const person = bearer((await signedIn()).access_token);
    const issuing = await recorder.during(async () => {
      const response = await rec.fetch(`/t/${big.name}/me/pin`, { method: "POST", headers: person });
      expect(response.status).toBe(201);
    });
    await expectIndexedOnly(issuing, ["user_pins"]);
    const pin = ((await (await rec.fetch(`/t/${big.name}/me/pin`, { method: "POST", headers: person })).json()) as { pin: string }).pin;
    const card = await rec.fetch(`/t/${big.name}/admin/users/${big.login.id}/cards`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ number: "PLANS001" }),
    });
    expect(card.status).toBe(201);
    const statements = await recorder.during(async () => {
      for (const body of [{ pin }, { card: "PLANS001" }, { pin: "5820394" }]) {
        await rec.fetch(`/t/${big.name}/panel/sign-in`, { method: "POST", headers: panelAuth, body: JSON.stringify(body) });
      }
    });
    await expectIndexedOnly(statements, ["tenants", "device_clients", "user_pins", "id_cards", "users", "sessions", "sign_in_attempts"]);
  });
});

describe("the rule that decides a scan", () => {
  it("H a plan's table scans are told apart from seeks, subqueries and table-valued functions", async () => {
    const scanned = async (sql: string, ...params: unknown[]) => tableScans(await planOf({ sql, params })).map((row) => row.detail);
    expect(await scanned("SELECT * FROM users")).toEqual(["SCAN users"]);
    expect(await scanned("SELECT id FROM users ORDER BY tenant_id, created_at")).toEqual(["SCAN users USING COVERING INDEX users_tenant_created"]);
    // No index on users.first_name: SQLite scans, or builds an automatic index (or a Bloom filter) from a scan.
    const joined = await scanned("SELECT * FROM sessions s JOIN users u ON u.first_name = s.method WHERE s.id = ?", "x");
    expect(joined.length).toBeGreaterThan(0);
    for (const detail of joined) expect(detail).toMatch(/^SCAN u\b|AUTOMATIC|^BLOOM FILTER/);
    expect(await scanned("SELECT * FROM users WHERE tenant_id = ? AND lower(username) = ?", "t", "u")).toEqual([]);
    expect(await scanned("WITH x AS MATERIALIZED (SELECT id FROM users WHERE id = ?) SELECT * FROM x", "u")).toEqual([]);
    expect(await scanned("SELECT * FROM (SELECT id FROM users WHERE id = ? UNION SELECT id FROM users WHERE id = ?)", "a", "b")).toEqual([]);
    expect(await scanned("SELECT value FROM json_each(?)", "[1,2]")).toEqual([]);
    expect(await scanned("INSERT INTO sign_in_attempts (tenant_id, at, login, success, method) SELECT ?, 1, 'x', 0, 'password' WHERE 1", "t")).toEqual([]);
  });
});
