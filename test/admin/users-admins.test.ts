// Who administers a tenant's users, rule P: only its admins (a signed-in non-admin gets 403, no token 401, and
// nothing changes), and the tenant always keeps an active admin, even when two admins demote or deactivate
// each other at the same moment. Closes the holes of escalation by non-admins and of a tenant locked out of
// its own administration.
import { describe, expect, it } from "vitest";
import { adminFixture, type AdminFixture } from "../support/admin";
import { problemOf } from "../support/problems";
import { bearer } from "../support/users";
import { activeAdmins, api, create, patch, person, tokensOf, userRow } from "./support";

describe("P the tenant always keeps an active admin", () => {
  it.each<[string, Record<string, unknown>]>([
    ["deactivate", { active: false }],
    ["demote", { roles: [] }],
    ["deactivate and demote", { active: false, roles: [] }],
    ["demote while renaming", { roles: [], username: "boss" }],
  ])("P the only active admin cannot %s themself: 403 forbidden, still an active admin", async (_what, changes) => {
    const f = await adminFixture();
    const before = await userRow(f, f.adminId);
    await problemOf(await patch(f, f.adminId, changes), 403, "forbidden");
    expect(await userRow(f, f.adminId)).toEqual(before);
    expect((await api(f, "GET", "/settings")).status).toBe(200);
  });

  it("P with two admins one can be demoted; then the remaining one cannot", async () => {
    const f = await adminFixture();
    const deputy = await create(f, person("deputy", { roles: ["admin"] }));
    const demoted = await patch(f, deputy.id, { roles: [] });
    expect(demoted.status).toBe(200);
    expect(await demoted.json()).toMatchObject({ roles: [] });

    await problemOf(await patch(f, f.adminId, { roles: [] }), 403, "forbidden");
    await problemOf(await patch(f, f.adminId, { active: false }), 403, "forbidden");
    expect(await activeAdmins(f)).toBe(1);
  });

  it("P with two admins one may step down themself, and the other becomes the last", async () => {
    const f = await adminFixture();
    const deputy = await create(f, person("deputy", { roles: ["admin"] }));
    const deputyAuth = bearer((await tokensOf(f, "deputy")).access_token);

    expect((await patch(f, f.adminId, { roles: [] })).status).toBe(200);
    await problemOf(await api(f, "GET", "/settings"), 403, "forbidden");
    await problemOf(await patch(f, deputy.id, { active: false }, deputyAuth), 403, "forbidden");
    expect(await activeAdmins(f)).toBe(1);
  });

  it("P an inactive admin does not count as the other admin", async () => {
    const f = await adminFixture();
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
      const f = await adminFixture();
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
  const endpoints: [string, string, (f: AdminFixture, memberId: string) => unknown][] = [
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
    const f = await adminFixture();
    const member = await create(f, person("member"));
    const memberAuth = bearer((await tokensOf(f, "member")).access_token);
    const snapshot = async () => ({
      tenant: await f.region.db.prepare("SELECT * FROM tenants WHERE id = ?").bind(f.tenantId).first(),
      users: (await f.region.db.prepare("SELECT * FROM users WHERE tenant_id = ? ORDER BY id").bind(f.tenantId).all()).results,
    });
    return { f, member, memberAuth, snapshot, before: await snapshot() };
  }

  const pathOf = (path: string, f: AdminFixture, memberId: string) => path.replace("{member}", memberId).replace("{admin}", f.adminId);

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
