// The admin users API (/t/{tenant}/admin/users), rules R, P and T: an admin of this tenant lists its users
// (newest first, filtered by status or a literal search, paged by a cursor that neither repeats nor skips
// while users are added), creates work accounts, and activates, deactivates, renames or changes the roles
// of users. Deactivation ends the user's sessions at once; the tenant always keeps an active admin, even
// when two admins demote each other at the same moment; a user of another tenant does not exist here; a
// non-admin gets nothing. Closes the holes of escalation by non-admins, sessions outliving deactivation,
// a tenant locked out of its own administration, cross-tenant reads or writes, wildcard injection in the
// search, and pages that lose or repeat users.
import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/http/cursor";
import { eu, us, type Region } from "../support/regions";
import { createTenant, json, uniqueSlug } from "../support/tenants";
import { bearer, CLIENT_ID, PASSWORD, signIn, tokenRequest, tokensFor, type TokenResponse } from "../support/users";
import type * as v from "valibot";
import type { UserView as UserViewSchema } from "../../src/accounts/view";
import { problemOf, type Problem } from "../support/problems";

type UserView = v.InferOutput<typeof UserViewSchema>;

interface Page {
  items: UserView[];
  nextCursor: string | null;
}

interface Fixture {
  region: Region;
  tenant: string;
  tenantId: string;
  adminId: string;
  auth: Record<string, string>;
}

/** A tenant of its own (with these settings) and its first admin's bearer header. */
async function fixture(settings: Record<string, unknown> = {}, region: Region = eu): Promise<Fixture> {
  const { name, body } = await createTenant(region, uniqueSlug("users"), { settings });
  return {
    region,
    tenant: name,
    tenantId: body.id,
    adminId: body.admin.id,
    auth: bearer((await tokensFor(region, name, "admin")).access_token),
  };
}

/** A call to the tenant's admin API, as the fixture's admin unless `auth` says otherwise. */
function api(f: Fixture, method: string, path: string, body?: unknown, auth = f.auth) {
  const headers = body === undefined ? auth : { ...auth, "Content-Type": "application/json" };
  return f.region.fetch(`/t/${f.tenant}/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The body of a new work account; `overrides` win (an `undefined` drops a field). */
function person(username: string, overrides: Record<string, unknown> = {}) {
  return { username, email: `${username}@example.com`, firstName: "Test", lastName: "User", password: PASSWORD, ...overrides };
}

async function create(f: Fixture, body: Record<string, unknown>): Promise<UserView> {
  const response = await api(f, "POST", "/users", body);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as UserView;
}

async function patch(f: Fixture, id: string, changes: unknown, auth = f.auth) {
  return api(f, "PATCH", `/users/${id}`, changes, auth);
}

async function page(f: Fixture, query = ""): Promise<Page> {
  const response = await api(f, "GET", `/users${query ? `?${query}` : ""}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Page;
}

const usernames = async (f: Fixture, query = "") => (await page(f, query)).items.map((user) => user.username);

/** Every page of a listing, `limit` at a time; `between` runs after the first page. */
async function walk(f: Fixture, query: string, limit: number, between?: () => Promise<unknown>) {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set("limit", String(limit));
    if (cursor) params.set("cursor", cursor);
    const result = await page(f, params.toString());
    expect(result.items.length).toBeLessThanOrEqual(limit);
    pages.push(result.items.map((user) => user.username));
    cursor = result.nextCursor;
    if (pages.length === 1) await between?.();
  } while (cursor);
  return pages;
}

async function tokensOf(f: Fixture, login: string): Promise<TokenResponse> {
  return tokensFor(f.region, f.tenant, login);
}

function userRow(f: Fixture, id: string) {
  return f.region.db.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

async function userCount(f: Fixture): Promise<number> {
  const row = await f.region.db.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ?").bind(f.tenantId).first<{ n: number }>();
  return row?.n ?? 0;
}

/** Active admins of the tenant, as stored. */
async function activeAdmins(f: Fixture): Promise<number> {
  const row = await f.region.db
    .prepare(
      `SELECT count(*) AS n FROM users WHERE tenant_id = ? AND active = 1
       AND EXISTS (SELECT 1 FROM json_each(users.roles) WHERE value = 'admin')`,
    )
    .bind(f.tenantId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Registers a personal account through the public endpoint (the tenant must allow it). */
async function register(f: Fixture, username: string): Promise<UserView> {
  const response = await f.region.fetch(
    `/t/${f.tenant}/register`,
    json({ username, email: `${username}@example.com`, password: PASSWORD, clientId: CLIENT_ID }),
  );
  expect([201, 202]).toContain(response.status);
  return ((await response.json()) as { user: UserView }).user;
}

const MODERATED = { allowRegistration: true, newUsersActiveByDefault: false };

describe("GET /t/{tenant}/admin/users", () => {
  it("R lists the tenant's users newest first, as user views", async () => {
    const f = await fixture();
    for (const name of ["first", "second", "third"]) await create(f, person(name));
    const { items, nextCursor } = await page(f);
    expect(items.map((user) => user.username)).toEqual(["third", "second", "first", "admin"]);
    expect(nextCursor).toBeNull();
    expect(items[0]).toMatchObject({ email: "third@example.com", displayName: "Test User", kind: "work", active: true, roles: [], identities: [] });
    expect(items[3]).toMatchObject({ id: f.adminId, roles: ["admin"] });
  });

  it("R status=active|inactive|pending: pending is registered and never activated, inactive includes it", async () => {
    const f = await fixture(MODERATED);
    await create(f, person("working"));
    const gone = await create(f, person("gone"));
    expect((await patch(f, gone.id, { active: false })).status).toBe(200);
    await register(f, "waiting");
    const back = await register(f, "back");
    expect((await patch(f, back.id, { active: true })).status).toBe(200);
    const left = await register(f, "left");
    expect((await patch(f, left.id, { active: true })).status).toBe(200);
    expect((await patch(f, left.id, { active: false })).status).toBe(200);

    expect(await usernames(f)).toEqual(["left", "back", "waiting", "gone", "working", "admin"]);
    expect(await usernames(f, "status=active")).toEqual(["back", "working", "admin"]);
    expect(await usernames(f, "status=inactive")).toEqual(["left", "waiting", "gone"]);
    // Once activated an account is no longer pending, even after a later deactivation.
    expect(await usernames(f, "status=pending")).toEqual(["waiting"]);
  });

  it.each<[string, string[]]>([
    ["ALICE", ["alice"]],
    ["corp.EXAMPLE", ["bob"]],
    ["robert", ["bob"]],
    ["o'neil", ["bob"]],
    ["under_score", ["under"]],
    ["_", ["under"]],
    ["100%", ["percent"]],
    ["%", ["percent"]],
    ["\\", []],
    ["nobody", []],
  ])("R q=%s searches username, e-mail, first and last name in any case, taking percent signs and underscores literally", async (q, expected) => {
    const f = await fixture();
    await create(f, person("alice", { firstName: "Alice", lastName: "Anders" }));
    await create(f, person("bob", { email: "bob@corp.example", firstName: "Robert", lastName: "O'Neil" }));
    await create(f, person("under", { lastName: "Under_score" }));
    await create(f, person("underx", { lastName: "UnderXscore" }));
    await create(f, person("percent", { firstName: "100%" }));
    await create(f, person("thousand", { firstName: "1000" }));
    expect(await usernames(f, `q=${encodeURIComponent(q)}`)).toEqual(expected);
  });

  describe("R a search of any accepted length, in any script, taken literally", () => {
    const LONG_MAIL = `${"q".repeat(40)}.${"z".repeat(30)}@long-mail.example`;
    const MAXED = `${"m".repeat(50)}${"n".repeat(50)}`;

    /** Users whose fields only the query under test can match (the tenant's own name is random hex). */
    async function searchable() {
      const f = await fixture();
      await create(f, person("longmail", { email: LONG_MAIL }));
      await create(f, person("maxed", { lastName: MAXED }));
      await create(f, person("emile", { firstName: "Émile", lastName: "Zoë" }));
      await create(f, person("accent", { firstName: "😀".repeat(25), lastName: "é".repeat(60) }));
      await create(f, person("wild", { lastName: `${"%".repeat(30)}${"_".repeat(30)}` }));
      return f;
    }

    it.each<[string, string, string[]]>([
      // ASCII: one byte a character. D1 refuses LIKE patterns over 50 bytes, `%q%` included.
      ["1 byte, another case", "Q", ["longmail"]],
      ["49 bytes", LONG_MAIL.slice(0, 49), ["longmail"]],
      ["50 bytes", LONG_MAIL.slice(0, 50), ["longmail"]],
      ["51 bytes", LONG_MAIL.slice(0, 51), ["longmail"]],
      ["a whole long e-mail, upper case", LONG_MAIL.toUpperCase(), ["longmail"]],
      ["100 characters, the longest accepted", MAXED, ["maxed"]],
      ["multibyte letters as typed", "Émile", ["emile"]],
      ["multibyte letters with ASCII ones in another case", "ÉMILE", ["emile"]],
      ["multibyte, 30 characters in 60 bytes", "é".repeat(30), ["accent"]],
      ["astral characters, 25 of them in 100 bytes", "😀".repeat(25), ["accent"]],
      ["percent signs and underscores over 50 bytes", `${"%".repeat(30)}${"_".repeat(30)}`, ["wild"]],
      ["55 underscores, which no field holds", "_".repeat(55), []],
      ["51 percent signs, which no field holds", "%".repeat(51), []],
    ])("R q of %s is a 200 with exactly the users it matches", async (_what, q, expected) => {
      const f = await searchable();
      const response = await api(f, "GET", `/users?q=${encodeURIComponent(q)}`);
      expect(response.status, await response.clone().text()).toBe(200);
      expect(((await response.json()) as Page).items.map((user) => user.username)).toEqual(expected);
    });

    it("R a long search pages like any other: limit and cursor visit every match once", async () => {
      const f = await fixture();
      for (let i = 1; i <= 5; i++) await create(f, person(`user${i}`, { email: `${"x".repeat(60)}.${i}@example.com` }));
      const pages = await walk(f, `q=${"x".repeat(60)}`, 2);
      expect(pages).toEqual([["user5", "user4"], ["user3", "user2"], ["user1"]]);
    });
  });

  it.each([
    ["all users", ""],
    ["active users", "status=active"],
    ["a search", "q=user"],
  ])("R pages of %s, with limit and cursor, visit every user exactly once, in order", async (_what, query) => {
    const f = await fixture();
    for (let i = 1; i <= 7; i++) await create(f, person(`user${i}`, { active: i % 3 !== 0 }));
    const all = await usernames(f, query ? `${query}&limit=100` : "limit=100");
    expect(all.length).toBeGreaterThan(3);

    const pages = await walk(f, query, 2);
    expect(pages.flat()).toEqual(all);
    expect(pages.slice(0, -1).every((names) => names.length === 2)).toBe(true);
  });

  it("R pages stay stable while users are added: the next page neither repeats nor skips", async () => {
    const f = await fixture();
    for (let i = 1; i <= 5; i++) await create(f, person(`user${i}`));
    const before = await usernames(f);

    const pages = await walk(f, "", 2, () => create(f, person("newcomer")));
    expect(pages.flat()).toEqual(before);
    expect(await usernames(f)).toEqual(["newcomer", ...before]);
  });

  it.each([
    ["not base64", "not-base64!"],
    ["not JSON", btoa("{not json")],
    ["an object", btoa(JSON.stringify({ createdAt: 1, id: crypto.randomUUID() }))],
    ["a bare number (a sign-in-attempts cursor)", encodeCursor(12)],
    ["a key with a non-uuid id", encodeCursor([Date.now(), "1 OR 1=1"])],
    ["a key with a non-integer time", encodeCursor(["yesterday", crypto.randomUUID()])],
  ])("R a tampered cursor (%s) is 400 validation_failed on the cursor", async (_what, cursor) => {
    const f = await fixture();
    const problem = await problemOf(await api(f, "GET", `/users?cursor=${encodeURIComponent(cursor)}`), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path.split(".")[0])).toEqual(expect.arrayContaining(["cursor"]));
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=-1", "limit"],
    ["limit=ten", "limit"],
    ["status=deleted", "status"],
    [`q=${"x".repeat(101)}`, "q"],
  ])("R ?%s is 400 validation_failed naming the parameter", async (query, path) => {
    const f = await fixture();
    const problem = await problemOf(await api(f, "GET", `/users?${query}`), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
  });

  it("R limit=100 and limit=1 are accepted", async () => {
    const f = await fixture();
    await create(f, person("other"));
    expect((await page(f, "limit=100")).items).toHaveLength(2);
    const one = await page(f, "limit=1");
    expect(one.items.map((user) => user.username)).toEqual(["other"]);
    expect(one.nextCursor).toEqual(expect.any(String));
  });

  it("T lists only this tenant's users", async () => {
    const [a, b] = [await fixture(), await fixture()];
    await create(a, person("in-a"));
    await create(b, person("in-b"));
    const { items } = await page(a, "limit=100");
    expect(items.map((user) => user.username)).toEqual(["in-a", "admin"]);
    expect(items.map((user) => user.id)).not.toContain(b.adminId);
  });
});

describe("POST /t/{tenant}/admin/users", () => {
  it("R creates an active work account that signs in with its password", async () => {
    for (const region of [eu, us]) {
      const f = await fixture({}, region);
      const user = await create(f, person("worker", { firstName: "Wanda", lastName: "Worker" }));
      expect(user).toEqual({
        id: expect.any(String),
        username: "worker",
        email: "worker@example.com",
        // An admin typed the address; nobody has proven it yet (rule E).
        emailVerified: false,
        firstName: "Wanda",
        lastName: "Worker",
        displayName: "Wanda Worker",
        kind: "work",
        active: true,
        roles: [],
        identities: [],
      });
      expect(await userRow(f, user.id)).toMatchObject({ kind: "work", created_via: "admin", activated_at: expect.any(Number) });
      expect((await userRow(f, user.id))?.password_hash).toMatch(/^\$argon2id\$/);

      for (const login of ["worker", "WORKER@example.com"]) {
        expect((await signIn(f.region, f.tenant, { login, password: PASSWORD })).status).toBe(200);
      }
      const me = await f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer((await tokensOf(f, "worker")).access_token) });
      expect(await me.json()).toEqual(user);
    }
  });

  it("R without a password, the account cannot sign in with any password", async () => {
    const f = await fixture();
    const user = await create(f, person("nopass", { password: undefined }));
    expect((await userRow(f, user.id))?.password_hash).toBeNull();
    for (const password of [PASSWORD, "", "null", "undefined"]) {
      const response = await signIn(f.region, f.tenant, { login: "nopass", password: password || " " });
      await problemOf(response, 401, "invalid_credentials");
    }
  });

  it("R roles [\"admin\"] makes an admin, who may administer at once", async () => {
    const f = await fixture();
    const deputy = await create(f, person("deputy", { roles: ["admin", "admin"] }));
    expect(deputy.roles).toEqual(["admin"]);
    const auth = bearer((await tokensOf(f, "deputy")).access_token);
    expect((await api(f, "GET", "/settings", undefined, auth)).status).toBe(200);
    expect((await api(f, "GET", "/users", undefined, auth)).status).toBe(200);
  });

  it("R active: false creates an account that awaits activation and cannot sign in", async () => {
    const f = await fixture();
    const user = await create(f, person("later", { active: false }));
    expect(user.active).toBe(false);
    await problemOf(await signIn(f.region, f.tenant, { login: "later", password: PASSWORD }), 403, "account_inactive");
    expect((await patch(f, user.id, { active: true })).status).toBe(200);
    expect((await signIn(f.region, f.tenant, { login: "later", password: PASSWORD })).status).toBe(200);
  });

  it.each([
    ["an e-mail taken in another case", person("other", { email: "TAKEN@Example.com" })],
    ["a username taken in another case", person("TAKEN", { email: "fresh@example.com" })],
    ["the admin's username in another case", person("Admin", { email: "fresh@example.com" })],
  ])("R %s is 409 account_exists, and nothing is written", async (_what, body) => {
    const f = await fixture();
    await create(f, person("taken"));
    const before = await userCount(f);
    await problemOf(await api(f, "POST", "/users", body), 409, "account_exists");
    expect(await userCount(f)).toBe(before);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["a missing username", person("x", { username: undefined }), "username"],
    ["a username with bad characters", person("bad name!"), "username"],
    ["a missing e-mail", person("alice", { email: undefined }), "email"],
    ["an invalid e-mail", person("alice", { email: "alice.example.com" }), "email"],
    ["a password of 7 characters", person("alice", { password: "1234567" }), "password"],
    ["a password of 257 characters", person("alice", { password: "p".repeat(257) }), "password"],
    ["the username as password", person("alice-work", { password: "ALICE-WORK" }), "password"],
    ["the e-mail as password", person("alice", { password: "Alice@Example.com" }), "password"],
    ["an unknown role", person("alice", { roles: ["superuser"] }), "roles.0"],
    ["roles that are not a list", person("alice", { roles: "admin" }), "roles"],
    ["active that is not a boolean", person("alice", { active: "yes" }), "active"],
    ["an empty first name", person("alice", { firstName: " " }), "firstName"],
  ])("R %s is 400 validation_failed naming the field, and nothing is written", async (_what, body, path) => {
    const f = await fixture();
    const problem = await problemOf(await api(f, "POST", "/users", body), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
    expect(await userCount(f)).toBe(1);
  });
});

describe("GET /t/{tenant}/admin/users/{id}", () => {
  it("R answers one user", async () => {
    const f = await fixture();
    const user = await create(f, person("alice"));
    const response = await api(f, "GET", `/users/${user.id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(user);
  });

  it("R an unknown id is 404 not_found, a malformed one 400 validation_failed", async () => {
    const f = await fixture();
    await problemOf(await api(f, "GET", `/users/${crypto.randomUUID()}`), 404, "not_found");
    await problemOf(await patch(f, crypto.randomUUID(), { active: true }), 404, "not_found");
    for (const id of ["not-a-uuid", "1", `${crypto.randomUUID()}x`]) {
      const problem = await problemOf(await api(f, "GET", `/users/${id}`), 400, "validation_failed");
      expect(problem.errors?.map((error) => error.path)).toContain("id");
    }
  });

  it("T a user of another tenant is 404 not_found here, read or changed, and stays unchanged", async () => {
    const [a, b] = [await fixture(), await fixture()];
    const theirs = await create(b, person("theirs"));
    const theirSession = await tokensOf(b, "theirs");
    // After the sign-in, which writes its own bookkeeping on the row (rule L).
    const before = await userRow(b, theirs.id);

    await problemOf(await api(a, "GET", `/users/${theirs.id}`), 404, "not_found");
    for (const changes of [{ active: false }, { roles: ["admin"] }, { username: "renamed" }]) {
      await problemOf(await patch(a, theirs.id, changes), 404, "not_found");
    }
    // Nor B's admin.
    await problemOf(await patch(a, b.adminId, { active: false }), 404, "not_found");

    expect(await userRow(b, theirs.id)).toEqual(before);
    expect((await userRow(b, b.adminId))?.active).toBe(1);
    expect((await b.region.fetch(`/t/${b.tenant}/me`, { headers: bearer(theirSession.access_token) })).status).toBe(200);
  });
});

describe("PATCH /t/{tenant}/admin/users/{id}", () => {
  it("R activating a pending registration lets it sign in", async () => {
    const f = await fixture(MODERATED);
    const user = await register(f, "waiting");
    await problemOf(await signIn(f.region, f.tenant, { login: "waiting", password: PASSWORD }), 403, "account_inactive");

    const response = await patch(f, user.id, { active: true });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id, active: true, kind: "personal" });
    expect((await userRow(f, user.id))?.activated_at).toEqual(expect.any(Number));
    expect((await signIn(f.region, f.tenant, { login: "waiting", password: PASSWORD })).status).toBe(200);
    expect(await usernames(f, "status=pending")).toEqual([]);
  });

  it("P deactivation refuses the user's access tokens at the next request and ends every session", async () => {
    const f = await fixture();
    const alice = await create(f, person("alice"));
    await create(f, person("bob"));
    const [phone, tablet, bob] = [await tokensOf(f, "alice"), await tokensOf(f, "alice"), await tokensOf(f, "bob")];
    const me = (tokens: TokenResponse) => f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer(tokens.access_token) });
    expect((await me(phone)).status).toBe(200);

    const response = await patch(f, alice.id, { active: false });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: alice.id, active: false });

    for (const tokens of [phone, tablet]) {
      const refused = await me(tokens);
      expect([401, 403]).toContain(refused.status);
      expect(((await refused.json()) as Problem).code).toMatch(/^(unauthorized|account_inactive)$/);
      const refreshed = await tokenRequest(f.region, f.tenant, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
      expect(refreshed.status).toBe(400);
      expect(await refreshed.json()).toMatchObject({ error: "invalid_grant" });
    }
    const live = await f.region.db
      .prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL")
      .bind(alice.id)
      .first<{ n: number }>();
    expect(live?.n).toBe(0);
    await problemOf(await signIn(f.region, f.tenant, { login: "alice", password: PASSWORD }), 403, "account_inactive");

    // Nobody else is touched.
    expect((await me(bob)).status).toBe(200);
    expect((await api(f, "GET", "/users")).status).toBe(200);
  });

  it("P reactivation lets the user sign in again, but ended sessions stay ended; the first activation is kept", async () => {
    const f = await fixture();
    const alice = await create(f, person("alice"));
    const old = await tokensOf(f, "alice");
    const activatedAt = (await userRow(f, alice.id))?.activated_at;
    expect((await patch(f, alice.id, { active: false })).status).toBe(200);
    expect((await patch(f, alice.id, { active: true })).status).toBe(200);

    expect((await userRow(f, alice.id))?.activated_at).toBe(activatedAt);
    expect((await signIn(f.region, f.tenant, { login: "alice", password: PASSWORD })).status).toBe(200);
    expect((await f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer(old.access_token) })).status).toBe(401);
    const refreshed = await tokenRequest(f.region, f.tenant, { grant_type: "refresh_token", refresh_token: old.refresh_token });
    expect(refreshed.status).toBe(400);
  });

  it("P a change of roles applies to the user's existing token at the next request", async () => {
    const f = await fixture();
    const alice = await create(f, person("alice"));
    const auth = bearer((await tokensOf(f, "alice")).access_token);
    await problemOf(await api(f, "GET", "/settings", undefined, auth), 403, "forbidden");

    const promoted = await patch(f, alice.id, { roles: ["admin", "admin"] });
    expect(await promoted.json()).toMatchObject({ roles: ["admin"] });
    expect((await api(f, "GET", "/settings", undefined, auth)).status).toBe(200);

    expect((await patch(f, alice.id, { roles: [] })).status).toBe(200);
    await problemOf(await api(f, "GET", "/settings", undefined, auth), 403, "forbidden");
  });

  it("R renames a user, who then signs in by the new name only", async () => {
    const f = await fixture();
    const alice = await create(f, person("alice", { firstName: "Alice", lastName: "Anders" }));
    const response = await patch(f, alice.id, { username: "alice.a", firstName: "Alicia", lastName: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ username: "alice.a", firstName: "Alicia", lastName: null, displayName: "Alicia" });
    expect((await signIn(f.region, f.tenant, { login: "alice.a", password: PASSWORD })).status).toBe(200);
    expect((await signIn(f.region, f.tenant, { login: "alice", password: PASSWORD })).status).toBe(401);
    // The user's own name in another case is no conflict.
    expect(await (await patch(f, alice.id, { username: "Alice.A" })).json()).toMatchObject({ username: "Alice.A" });
  });

  it.each(["ADMIN", "Bob", "bob"])("R renaming to a taken username (%s) is 409 username_taken, and nothing changes", async (taken) => {
    const f = await fixture();
    const alice = await create(f, person("alice"));
    await create(f, person("bob"));
    const before = await userRow(f, alice.id);
    await problemOf(await patch(f, alice.id, { username: taken, firstName: "Changed" }), 409, "username_taken");
    expect(await userRow(f, alice.id)).toEqual(before);
  });

  it.each<[string, unknown, string]>([
    ["an unknown field", { kind: "personal" }, "kind"],
    ["a misspelt field", { activ: true }, "activ"],
    ["a password (not the admin's to set here)", { password: "a new password" }, "password"],
    ["active that is not a boolean", { active: "no" }, "active"],
    ["an unknown role", { roles: ["root"] }, "roles"],
    ["a username with bad characters", { username: "a b" }, "username"],
    ["an empty first name", { firstName: "" }, "firstName"],
  ])("R %s is 400 validation_failed, and nothing changes", async (_what, changes, field) => {
    const f = await fixture();
    const alice = await create(f, person("alice"));
    const before = await userRow(f, alice.id);
    const problem = await problemOf(await patch(f, alice.id, changes), 400, "validation_failed");
    expect(problem.errors?.map((error) => `${error.path} ${error.message}`).join("\n")).toContain(field);
    expect(await userRow(f, alice.id)).toEqual(before);
  });
});

describe("P the tenant always keeps an active admin", () => {
  it.each<[string, Record<string, unknown>]>([
    ["deactivate", { active: false }],
    ["demote", { roles: [] }],
    ["deactivate and demote", { active: false, roles: [] }],
    ["demote while renaming", { roles: [], username: "boss" }],
  ])("P the only active admin cannot %s themself: 403 forbidden, still an active admin", async (_what, changes) => {
    const f = await fixture();
    const before = await userRow(f, f.adminId);
    await problemOf(await patch(f, f.adminId, changes), 403, "forbidden");
    expect(await userRow(f, f.adminId)).toEqual(before);
    expect((await api(f, "GET", "/settings")).status).toBe(200);
  });

  it("P with two admins one can be demoted; then the remaining one cannot", async () => {
    const f = await fixture();
    const deputy = await create(f, person("deputy", { roles: ["admin"] }));
    const demoted = await patch(f, deputy.id, { roles: [] });
    expect(demoted.status).toBe(200);
    expect(await demoted.json()).toMatchObject({ roles: [] });

    await problemOf(await patch(f, f.adminId, { roles: [] }), 403, "forbidden");
    await problemOf(await patch(f, f.adminId, { active: false }), 403, "forbidden");
    expect(await activeAdmins(f)).toBe(1);
  });

  it("P with two admins one may step down themself, and the other becomes the last", async () => {
    const f = await fixture();
    const deputy = await create(f, person("deputy", { roles: ["admin"] }));
    const deputyAuth = bearer((await tokensOf(f, "deputy")).access_token);

    expect((await patch(f, f.adminId, { roles: [] })).status).toBe(200);
    await problemOf(await api(f, "GET", "/settings"), 403, "forbidden");
    await problemOf(await patch(f, deputy.id, { active: false }, deputyAuth), 403, "forbidden");
    expect(await activeAdmins(f)).toBe(1);
  });

  it("P an inactive admin does not count as the other admin", async () => {
    const f = await fixture();
    const dormant = await create(f, person("dormant", { roles: ["admin"], active: false }));
    await problemOf(await patch(f, f.adminId, { roles: [] }), 403, "forbidden");
    expect((await patch(f, dormant.id, { active: true })).status).toBe(200);
    expect((await patch(f, f.adminId, { roles: [] })).status).toBe(200);
    expect(await activeAdmins(f)).toBe(1);
  });

  it.each<[string, (self: string, other: string) => [string, Record<string, unknown>]]>([
    ["demote each other", (_self, other) => [other, { roles: [] }]],
    ["deactivate each other", (_self, other) => [other, { active: false }]],
    ["demote themselves", (self) => [self, { roles: [] }]],
    ["deactivate themselves", (self) => [self, { active: false }]],
  ])("P two admins who %s at the same moment: at most one succeeds, an active admin remains", async (_what, target) => {
    for (let round = 0; round < 4; round++) {
      const f = await fixture();
      const deputy = await create(f, person("deputy", { roles: ["admin"] }));
      const deputyAuth = bearer((await tokensOf(f, "deputy")).access_token);
      const [byAdmin, byDeputy] = await Promise.all([
        patch(f, ...target(f.adminId, deputy.id)),
        patch(f, ...[...target(deputy.id, f.adminId), deputyAuth] as [string, Record<string, unknown>, Record<string, string>]),
      ]);
      const statuses = [byAdmin.status, byDeputy.status];
      expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(1);
      for (const status of statuses) expect([200, 401, 403]).toContain(status);
      expect(await activeAdmins(f)).toBe(1);
    }
  });
});

describe("P only the tenant's admins", () => {
  const endpoints: [string, string, (f: Fixture, memberId: string) => unknown][] = [
    ["GET", "/settings", () => undefined],
    ["PATCH", "/settings", () => ({ allowRegistration: true, newUsersActiveByDefault: true })],
    ["GET", "/users", () => undefined],
    ["POST", "/users", () => person("intruder", { roles: ["admin"] })],
    ["GET", "/users/{member}", () => undefined],
    ["PATCH", "/users/{member}", () => ({ roles: ["admin"] })],
    ["PATCH", "/users/{admin}", () => ({ active: false })],
    ["GET", "/sign-in-attempts", () => undefined],
  ];

  /** A fixture with a signed-in member who is not an admin, and a snapshot of what must not change. */
  async function withMember() {
    const f = await fixture();
    const member = await create(f, person("member"));
    const memberAuth = bearer((await tokensOf(f, "member")).access_token);
    const snapshot = async () => ({
      tenant: await f.region.db.prepare("SELECT * FROM tenants WHERE id = ?").bind(f.tenantId).first(),
      users: (await f.region.db.prepare("SELECT * FROM users WHERE tenant_id = ? ORDER BY id").bind(f.tenantId).all()).results,
    });
    return { f, member, memberAuth, snapshot, before: await snapshot() };
  }

  const pathOf = (path: string, f: Fixture, memberId: string) => path.replace("{member}", memberId).replace("{admin}", f.adminId);

  it.each(endpoints)("P %s %s by a signed-in non-admin is 403 forbidden, and changes nothing", async (method, path, body) => {
    const { f, member, memberAuth, snapshot, before } = await withMember();
    await problemOf(await api(f, method, pathOf(path, f, member.id), body(f, member.id), memberAuth), 403, "forbidden");
    expect(await snapshot()).toEqual(before);
  });

  it.each(endpoints)("P %s %s without a token is 401 unauthorized, and changes nothing", async (method, path, body) => {
    const { f, member, snapshot, before } = await withMember();
    const response = await api(f, method, pathOf(path, f, member.id), body(f, member.id), {});
    await problemOf(response, 401, "unauthorized");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
    expect(await snapshot()).toEqual(before);
  });
});
