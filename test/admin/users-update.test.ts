// Changing a user through the admin users API (PATCH /t/{tenant}/admin/users/{id}), rules R and P: an admin
// activates, deactivates, renames or changes the roles of users, and each change applies at the user's next
// request; deactivation ends the user's sessions at once. Closes the holes of sessions outliving
// deactivation, and of roles or names that still work after they were changed.
import { describe, expect, it } from "vitest";
import { adminFixture } from "../support/admin";
import { problemOf, type Problem } from "../support/problems";
import { bearer, PASSWORD, signIn, tokenRequest, type TokenResponse } from "../support/users";
import { api, create, MODERATED, patch, person, register, tokensOf, userRow, usernames } from "./support";

describe("PATCH /t/{tenant}/admin/users/{id}", () => {
  it("R activating a pending registration lets it sign in", async () => {
    const f = await adminFixture(MODERATED);
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
    const f = await adminFixture();
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
    const f = await adminFixture();
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
    const f = await adminFixture();
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
    const f = await adminFixture();
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
    const f = await adminFixture();
    const alice = await create(f, person("alice"));
    await create(f, person("bob"));
    const before = await userRow(f, alice.id);
    await problemOf(await patch(f, alice.id, { username: taken, firstName: "Changed" }), 409, "username_taken");
    expect(await userRow(f, alice.id)).toEqual(before);
  });

  it.each<[string, unknown, string]>([
    ["an unknown field", { kind: "personal" }, "kind"],
    ["a misspelt field", { activ: true }, "activ"],
    ["a password under the policy (credentials/temporary-password has the admin's passwords)", { password: "short" }, "password"],
    ["active that is not a boolean", { active: "no" }, "active"],
    ["an unknown role", { roles: ["root"] }, "roles"],
    ["a username with bad characters", { username: "a b" }, "username"],
    ["an empty first name", { firstName: "" }, "firstName"],
  ])("R %s is 400 validation_failed, and nothing changes", async (_what, changes, field) => {
    const f = await adminFixture();
    const alice = await create(f, person("alice"));
    const before = await userRow(f, alice.id);
    const problem = await problemOf(await patch(f, alice.id, changes), 400, "validation_failed");
    expect(problem.errors?.map((error) => `${error.path} ${error.message}`).join("\n")).toContain(field);
    expect(await userRow(f, alice.id)).toEqual(before);
  });
});
