// Rule R, self-registration of a personal MyQ account (POST /t/{tenant}/register): refused unless the tenant
// allows users to register, a setting read afresh on every request; signed in at once (201 with tokens) only
// where new users are active by default, otherwise 202 with no token at all, and no sign-in until an admin
// activates the account; one account per e-mail and per username in any case, even when registrations race;
// generated usernames valid and free; the password policy enforced field by field; the password stored only
// as an Argon2id hash. Closes the holes of sign-ups the admin switched off, accounts that activate
// themselves, duplicate accounts through case or concurrency, half-written rows, and weak or clear passwords.
import { describe, expect, it } from "vitest";
import { adminAuth, patchSettings } from "../support/admin";
import { eu, us, type Region } from "../support/regions";
import { countOf } from "../support/rows";
import { createTenant, json, uniqueSlug } from "../support/tenants";
import { bearer, CLIENT_ID, PASSWORD, registration, signIn, tokenRequest, type TokenResponse } from "../support/users";
import type * as v from "valibot";
import type { UserView as UserViewSchema } from "../../src/accounts/view";
import { problemOf, type Problem } from "../support/problems";

type UserView = v.InferOutput<typeof UserViewSchema>;

type Registered = { user: UserView; status: "active" | "pending_activation" } & Partial<TokenResponse>;

/** What every generated (and every accepted) username must look like. */
const VALID_USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const ARGON2ID = /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** Registration open, and new users active at once (201 with tokens). */
const OPEN = { allowRegistration: true, newUsersActiveByDefault: true };
/** Registration open, new users wait for an admin (202, no tokens). */
const MODERATED = { allowRegistration: true, newUsersActiveByDefault: false };

interface Fixture {
  region: Region;
  tenant: string;
  tenantId: string;
}

/** A tenant of its own with these settings (the defaults: registration closed). */
async function fixture(settings: Record<string, unknown> = {}, region: Region = eu): Promise<Fixture> {
  const { name, body } = await createTenant(region, uniqueSlug("reg"), { settings });
  return { region, tenant: name, tenantId: body.id };
}

/** A registration with the test password and client, overridden by `body` (an `undefined` drops a field). */
function register(f: Fixture, body: Record<string, unknown>, init: { headers?: Record<string, string> } = {}) {
  return registration(f.region, f.tenant, body, init.headers);
}

async function registered(response: Response, status: 201 | 202): Promise<Registered> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as Registered;
}

/** The tenant's users or sessions (`where` narrows them). */
function count(f: Fixture, table: "users" | "sessions", where = "1 = 1", ...params: unknown[]): Promise<number> {
  return countOf(f.region, `SELECT count(*) AS n FROM ${table} WHERE tenant_id = ? AND ${where}`, f.tenantId, ...params);
}

describe("R registration needs the tenant's permission", () => {
  it.each([
    ["closed (the default)", {}],
    ["closed, even with new users active by default", { allowRegistration: false, newUsersActiveByDefault: true }],
  ])("R registration is refused with 403 registration_disabled while the tenant is %s", async (_what, settings) => {
    for (const region of [eu, us]) {
      const f = await fixture(settings, region);
      const problem = await problemOf(await register(f, { email: "jane@example.com" }), 403, "registration_disabled");
      expect(problem.detail).toBeTruthy();
      expect(await count(f, "users")).toBe(1); // the admin only
    }
  });

  it("R an admin switching registration off and on again takes effect at the very next request", async () => {
    const f = await fixture(OPEN);
    const auth = await adminAuth(f.region, f.tenant);
    await registered(await register(f, { email: "first@example.com" }), 201);

    expect((await patchSettings(f, { allowRegistration: false }, auth)).status).toBe(200);
    await problemOf(await register(f, { email: "second@example.com" }), 403, "registration_disabled");
    expect(await count(f, "users", "lower(email) = ?", "second@example.com")).toBe(0);

    expect((await patchSettings(f, { allowRegistration: true }, auth)).status).toBe(200);
    await registered(await register(f, { email: "second@example.com" }), 201);
    expect(await count(f, "users")).toBe(3);
  });

  it("R switching 'new users active by default' off makes the very next registration wait for an admin", async () => {
    const f = await fixture(OPEN);
    const auth = await adminAuth(f.region, f.tenant);
    expect((await registered(await register(f, { email: "before@example.com" }), 201)).status).toBe("active");
    expect((await patchSettings(f, { newUsersActiveByDefault: false }, auth)).status).toBe(200);
    const after = await registered(await register(f, { email: "after@example.com" }), 202);
    expect(after.status).toBe("pending_activation");
  });
});

describe("R where new users are active by default", () => {
  it("R answers 201 with the personal account and a token response, and the access token works at once", async () => {
    for (const region of [eu, us]) {
      const f = await fixture(OPEN, region);
      const response = await register(f, { email: "jane@example.com", firstName: "Jane", lastName: "Doe", username: "jane" });
      expect(response.headers.get("Cache-Control")).toBe("no-store");
      const body = await registered(response, 201);
      expect(body).toMatchObject({
        status: "active",
        token_type: "Bearer",
        user: {
          username: "jane",
          email: "jane@example.com",
          firstName: "Jane",
          lastName: "Doe",
          displayName: "Jane Doe",
          kind: "personal",
          active: true,
          roles: [],
          identities: [],
        },
      });
      expect(body.access_token).toMatch(JWT);
      expect(body.refresh_token).toEqual(expect.any(String));
      expect(body.expires_in).toBeGreaterThan(0);

      const me = await f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer(body.access_token!) });
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual(body.user);

      // The session is a real one: its refresh token rotates.
      const refreshed = await tokenRequest(f.region, f.tenant, { grant_type: "refresh_token", refresh_token: body.refresh_token! });
      expect(refreshed.status).toBe(200);

      const row = await f.region.db
        .prepare("SELECT kind, active, activated_at, roles, created_via FROM users WHERE id = ?")
        .bind(body.user.id)
        .first<Record<string, unknown>>();
      expect(row).toMatchObject({ kind: "personal", active: 1, roles: "[]", created_via: "registration" });
      expect(row?.activated_at).toEqual(expect.any(Number));
    }
  });

  it("R the new account signs in with its username or its e-mail, in any case", async () => {
    const f = await fixture(OPEN);
    await registered(await register(f, { email: "Jane@Example.com", username: "JaneD" }), 201);
    for (const login of ["JaneD", "janed", "jane@example.com", "JANE@EXAMPLE.COM"]) {
      expect((await signIn(f.region, f.tenant, { login, password: PASSWORD })).status).toBe(200);
    }
  });
});

describe("R where new users wait for an admin", () => {
  it("R answers 202 pending_activation with no token, and opens no session", async () => {
    const f = await fixture(MODERATED);
    const body = await registered(await register(f, { email: "jane@example.com", firstName: "Jane" }), 202);
    expect(body.status).toBe("pending_activation");
    expect(body.user).toMatchObject({ email: "jane@example.com", kind: "personal", active: false, roles: [] });
    expect(Object.keys(body).sort()).toEqual(["status", "user"]);
    expect(await count(f, "sessions")).toBe(0);
    const row = await f.region.db
      .prepare("SELECT active, activated_at FROM users WHERE id = ?")
      .bind(body.user.id)
      .first<Record<string, unknown>>();
    expect(row).toEqual({ active: 0, activated_at: null });
  });

  it("R the account cannot sign in until an admin activates it, then signs in normally", async () => {
    const f = await fixture(MODERATED);
    const { user } = await registered(await register(f, { email: "jane@example.com", username: "jane" }), 202);

    // The right password learns that the account waits; a wrong one learns nothing.
    const waiting = await problemOf(await signIn(f.region, f.tenant, { login: "jane", password: PASSWORD }), 403, "account_inactive");
    expect(waiting.detail).toMatch(/activation/);
    await problemOf(await signIn(f.region, f.tenant, { login: "jane", password: "not the password" }), 401, "invalid_credentials");

    const activated = await f.region.fetch(`/t/${f.tenant}/admin/users/${user.id}`, {
      ...json({ active: true }, await adminAuth(f.region, f.tenant)),
      method: "PATCH",
    });
    expect(activated.status).toBe(200);
    expect(await activated.json()).toMatchObject({ id: user.id, active: true });

    const signedIn = await signIn(f.region, f.tenant, { login: "jane@example.com", password: PASSWORD });
    expect(signedIn.status).toBe(200);
    const tokens = (await signedIn.json()) as TokenResponse;
    const me = await f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer(tokens.access_token) });
    expect(await me.json()).toMatchObject({ id: user.id, active: true, kind: "personal" });
  });
});

describe("R one account per e-mail and per username", () => {
  it.each([
    ["an e-mail taken in another case", { email: "Jane.Doe@Example.com", username: "jane" }, { email: "jane.doe@EXAMPLE.COM", username: "other" }],
    ["a username taken in another case", { email: "jane@example.com", username: "JaneDoe" }, { email: "other@example.com", username: "janedoe" }],
    ["the admin's username in another case", { email: "jane@example.com", username: "jane" }, { email: "other@example.com", username: "ADMIN" }],
  ])("R %s is 409 account_exists, and nothing of it is written", async (_what, first, second) => {
    const f = await fixture(OPEN);
    await registered(await register(f, first), 201);
    const [users, sessions] = [await count(f, "users"), await count(f, "sessions")];

    const problem = await problemOf(await register(f, second), 409, "account_exists");
    expect(JSON.stringify(problem)).not.toMatch(/UNIQUE|constraint|INSERT|sqlite/i);
    expect(await count(f, "users")).toBe(users);
    expect(await count(f, "sessions")).toBe(sessions);
    expect(await count(f, "users", "email = ? AND username = ?", second.email, second.username)).toBe(0);
  });

  it("T the same e-mail and username register independently in two tenants", async () => {
    const [a, b] = [await fixture(OPEN), await fixture(OPEN)];
    const person = { email: "jane@example.com", username: "jane" };
    const [inA, inB] = [await registered(await register(a, person), 201), await registered(await register(b, person), 201)];
    expect(inA.user.id).not.toBe(inB.user.id);
  });

  it.each([
    ["active by default", OPEN, 201],
    ["waiting for an admin", MODERATED, 202],
  ])("R of 8 racing registrations of one e-mail (%s), exactly one succeeds and one row is written", async (_what, settings, success) => {
    const f = await fixture(settings);
    const emails = ["race@example.com", "RACE@example.com", "Race@Example.Com", "race@EXAMPLE.com"];
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => register(f, { email: emails[i % emails.length], username: `racer-${i}` })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([success, 409, 409, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(((await response.json()) as Problem).code).toBe("account_exists");
    }
    expect(await count(f, "users", "lower(email) = ?", "race@example.com")).toBe(1);
    expect(await count(f, "users")).toBe(2);
  });
});

describe("R generated usernames", () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["the names, without accents", { firstName: "Jané", lastName: "Doe", email: "jd@example.com" }, /^jane\.doe$/],
    ["the e-mail's local part when there are no names", { email: "Mary.Smith@example.com" }, /^mary\.smith$/],
    ["the first name alone", { firstName: "Zoë", email: "z@example.com" }, /^zoe$/],
    ["punctuation folded into dots", { firstName: "Jean-Luc", lastName: "O'Brien", email: "jl@example.com" }, /^jean\.luc\.o\.brien$/],
    ["the e-mail when the names have no Latin letters", { firstName: "李", lastName: "雷", email: "lei.li@example.com" }, /^lei\.li$/],
    ["a short name padded with digits", { firstName: "Al", email: "a@example.com" }, /^al\d{4}$/],
    ["long names cut short", { firstName: "x".repeat(100), lastName: "y".repeat(100), email: "long@example.com" }, /^x{48}$/],
  ])("R without a username, one is made from %s", async (_what, person, expected) => {
    const f = await fixture(OPEN);
    const { user } = await registered(await register(f, person), 201);
    expect(user.username).toMatch(expected);
    expect(user.username).toMatch(VALID_USERNAME);
    // It is a username like any other: the user signs in with it.
    expect((await signIn(f.region, f.tenant, { login: user.username, password: PASSWORD })).status).toBe(200);
  });

  it("R a second registration with the same names gets a different, free username", async () => {
    const f = await fixture(OPEN);
    const names = { firstName: "Jane", lastName: "Doe" };
    const first = await registered(await register(f, { ...names, email: "jane1@example.com" }), 201);
    const second = await registered(await register(f, { ...names, email: "jane2@example.com" }), 201);
    expect(first.user.username).toBe("jane.doe");
    expect(second.user.username).not.toBe("jane.doe");
    expect(second.user.username).toMatch(/^jane\.doe/);
    expect(second.user.username).toMatch(VALID_USERNAME);
  });

  it("R a generated username avoids one taken in another case", async () => {
    const f = await fixture(OPEN);
    await registered(await register(f, { email: "taken@example.com", username: "JANE.DOE" }), 201);
    const { user } = await registered(await register(f, { firstName: "Jane", lastName: "Doe", email: "jane@example.com" }), 201);
    expect(user.username.toLowerCase()).not.toBe("jane.doe");
    expect(user.username).toMatch(VALID_USERNAME);
  });

  it("R 8 racing registrations with the same names and different e-mails all succeed, with distinct usernames", async () => {
    const f = await fixture(OPEN);
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => register(f, { firstName: "Jane", lastName: "Doe", email: `jane${i}@example.com` })),
    );
    const bodies = await Promise.all(responses.map((response) => registered(response, 201)));
    const usernames = bodies.map((body) => body.user.username);
    expect(new Set(usernames.map((name) => name.toLowerCase())).size).toBe(8);
    for (const username of usernames) {
      expect(username).toMatch(/^jane\.doe/);
      expect(username).toMatch(VALID_USERNAME);
    }
    expect(await count(f, "users")).toBe(9);
  });
});

describe("R validation", () => {
  it.each<[string, Record<string, unknown>, string, RegExp?]>([
    ["a password of 7 characters", { password: "7 chars" }, "password", /at least 8/i],
    ["a password of 257 characters", { password: "p".repeat(257) }, "password", /at most 256/i],
    ["the username as password, in another case", { username: "jane-doe", password: "JANE-DOE" }, "password", /username/i],
    ["the e-mail as password, in another case", { email: "jane@example.com", password: "Jane@Example.COM" }, "password", /e-mail/i],
    ["the generated username as password", { firstName: "Jane", lastName: "Doe", password: "Jane.Doe" }, "password", /username/i],
    ["an invalid e-mail", { email: "not-an-email" }, "email", /e-mail/i],
    ["an overlong e-mail", { email: `${"a".repeat(250)}@example.com` }, "email"],
    ["a username with bad characters", { username: "jane doe!" }, "username", /letters, digits/i],
    ["a username starting with a dot", { username: ".jane" }, "username"],
    ["a username of 2 characters", { username: "jd" }, "username", /at least 3/i],
    ["a username of 65 characters", { username: "j".repeat(65) }, "username", /at most 64/i],
    ["an overlong first name", { firstName: "J".repeat(101) }, "firstName"],
    ["an unknown client", { clientId: "not-a-client" }, "clientId", /client/i],
    ["a missing e-mail", { email: undefined }, "email"],
    ["a missing password", { password: undefined }, "password"],
    ["a missing client", { clientId: undefined }, "clientId"],
    ["a password that is not a string", { password: 12345678 }, "password"],
  ])("R %s is 400 validation_failed naming the field, and writes nothing", async (_what, body, path, message) => {
    const f = await fixture(OPEN);
    const response = await register(f, { email: "jane@example.com", ...body });
    const problem = await problemOf(response, 400, "validation_failed");
    const error = problem.errors?.find((e) => e.path === path);
    expect(error, JSON.stringify(problem.errors)).toBeDefined();
    expect(error?.message).toBeTruthy();
    if (message) expect(error?.message).toMatch(message);
    expect(JSON.stringify(problem)).not.toContain(PASSWORD);
    expect(await count(f, "users")).toBe(1);
  });

  const valid = JSON.stringify({ email: "jane@example.com", password: PASSWORD, clientId: CLIENT_ID });
  it.each<[string, number, string, RequestInit]>([
    ["a JSON body sent as text/plain", 415, "unsupported_media_type", { headers: { "Content-Type": "text/plain" }, body: valid }],
    ["a JSON body without a content type", 415, "unsupported_media_type", { body: new TextEncoder().encode(valid) }],
    ["malformed JSON", 400, "validation_failed", { headers: { "Content-Type": "application/json" }, body: '{"email": "jane@example.com",' }],
    ["a JSON array", 400, "validation_failed", { headers: { "Content-Type": "application/json" }, body: "[]" }],
    ["an empty body", 400, "validation_failed", { headers: { "Content-Type": "application/json" } }],
  ])("R %s is %i %s, and writes nothing", async (_what, status, code, init) => {
    const f = await fixture(OPEN);
    const response = await f.region.fetch(`/t/${f.tenant}/register`, { method: "POST", ...init });
    await problemOf(response, status, code);
    expect(await count(f, "users")).toBe(1);
  });
});

describe("S the stored password", () => {
  it.each([
    ["active", OPEN, 201],
    ["pending", MODERATED, 202],
  ] as const)("S an %s registration stores an Argon2id hash, never the password", async (_what, settings, status) => {
    const f = await fixture(settings);
    const { user } = await registered(await register(f, { email: "jane@example.com" }), status);
    const row = await f.region.db.prepare("SELECT * FROM users WHERE id = ?").bind(user.id).first<Record<string, unknown>>();
    expect(row?.password_hash).toMatch(ARGON2ID);
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
  });
});
