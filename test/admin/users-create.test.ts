// Creating and reading one user through the admin users API (POST /t/{tenant}/admin/users, GET …/{id}),
// rules R and T: an admin creates work accounts, which sign in or await activation as the body says, one per
// e-mail and per username; a user of another tenant does not exist here, read or changed. Closes the holes
// of duplicate accounts and cross-tenant reads or writes.
import { describe, expect, it } from "vitest";
import { adminFixture } from "../support/admin";
import { problemOf } from "../support/problems";
import { eu, us } from "../support/regions";
import { bearer, PASSWORD, signIn } from "../support/users";
import { api, create, patch, person, tokensOf, userCount, userRow } from "./support";

describe("POST /t/{tenant}/admin/users", () => {
  it("R creates an active work account that signs in with its password", async () => {
    for (const region of [eu, us]) {
      const f = await adminFixture({}, region);
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
    const f = await adminFixture();
    const user = await create(f, person("nopass", { password: undefined }));
    expect((await userRow(f, user.id))?.password_hash).toBeNull();
    for (const password of [PASSWORD, "", "null", "undefined"]) {
      const response = await signIn(f.region, f.tenant, { login: "nopass", password: password || " " });
      await problemOf(response, 401, "invalid_credentials");
    }
  });

  it("R roles [\"admin\"] makes an admin, who may administer at once", async () => {
    const f = await adminFixture();
    const deputy = await create(f, person("deputy", { roles: ["admin", "admin"] }));
    expect(deputy.roles).toEqual(["admin"]);
    const auth = bearer((await tokensOf(f, "deputy")).access_token);
    expect((await api(f, "GET", "/settings", undefined, auth)).status).toBe(200);
    expect((await api(f, "GET", "/users", undefined, auth)).status).toBe(200);
  });

  it("R active: false creates an account that awaits activation and cannot sign in", async () => {
    const f = await adminFixture();
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
    const f = await adminFixture();
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
    const f = await adminFixture();
    const problem = await problemOf(await api(f, "POST", "/users", body), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
    expect(await userCount(f)).toBe(1);
  });
});

describe("GET /t/{tenant}/admin/users/{id}", () => {
  it("R answers one user", async () => {
    const f = await adminFixture();
    const user = await create(f, person("alice"));
    const response = await api(f, "GET", `/users/${user.id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(user);
  });

  it("R an unknown id is 404 not_found, a malformed one 400 validation_failed", async () => {
    const f = await adminFixture();
    await problemOf(await api(f, "GET", `/users/${crypto.randomUUID()}`), 404, "not_found");
    await problemOf(await patch(f, crypto.randomUUID(), { active: true }), 404, "not_found");
    for (const id of ["not-a-uuid", "1", `${crypto.randomUUID()}x`]) {
      const problem = await problemOf(await api(f, "GET", `/users/${id}`), 400, "validation_failed");
      expect(problem.errors?.map((error) => error.path)).toContain("id");
    }
  });

  it("T a user of another tenant is 404 not_found here, read or changed, and stays unchanged", async () => {
    const [a, b] = [await adminFixture(), await adminFixture()];
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
