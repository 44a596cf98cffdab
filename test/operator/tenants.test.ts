// The platform operator API: guarded by the OPERATOR_TOKEN secret, creating a tenant with its first admin
// in one atomic batch, validating every field, listing this region's tenants page by page.
import { describe, expect, it } from "vitest";
import { eu, us } from "../support/regions";
import type { Problem } from "../support/problems";
import { createTenant, json, operatorAuth, tenantBody, uniqueSlug } from "../support/tenants";

describe("operator authentication", () => {
  it.each([
    ["no token", {}],
    ["a wrong token", { Authorization: "Bearer not-the-operator-token" }],
    ["a token that is a prefix of the right one", { Authorization: "Bearer test-operator" }],
    ["another scheme", { Authorization: "Basic dGVzdDp0ZXN0" }],
  ])("S refuses %s with 401 unauthorized and a challenge", async (_what, headers) => {
    for (const request of [
      eu.fetch("/operator/tenants", { headers }),
      eu.fetch("/operator/tenants", json(tenantBody(uniqueSlug()), headers)),
    ]) {
      const response = await request;
      expect(response.status).toBe(401);
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
      expect(((await response.json()) as Problem).code).toBe("unauthorized");
    }
  });
});

describe("POST /operator/tenants", () => {
  it("creates the tenant and its first admin, with an Argon2id password hash at OWASP's minimum", async () => {
    const name = uniqueSlug("new");
    const response = await eu.fetch("/operator/tenants", json(tenantBody(name), operatorAuth));
    expect(response.status).toBe(201);
    const tenant = (await response.json()) as Record<string, unknown> & { admin: { id: string } };
    expect(tenant).toMatchObject({
      name,
      displayName: `Tenant ${name}`,
      region: "eu",
      enabled: true,
      // A new tenant's defaults: closed to self-registration, registrations wait for an admin.
      settings: {
        allowRegistration: false,
        newUsersActiveByDefault: false,
        lockout: { maxAttempts: 5, lockoutSeconds: 900 },
        providers: { work: ["apple", "google", "microsoft"], personal: ["apple", "google", "microsoft"] },
      },
      admin: { username: "admin" },
    });

    const admin = await eu.db
      .prepare("SELECT username, email, kind, active, roles, created_via, password_hash FROM users WHERE id = ?")
      .bind(tenant.admin.id)
      .first<Record<string, unknown>>();
    expect(admin).toMatchObject({ kind: "work", active: 1, roles: '["admin"]', created_via: "operator" });
    expect(admin?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(admin?.password_hash).not.toContain("correct horse battery");
  });

  it("takes the settings it is given", async () => {
    const { body } = await createTenant(us, uniqueSlug(), {
      settings: { allowRegistration: true, newUsersActiveByDefault: true, lockout: { maxAttempts: 3, lockoutSeconds: 60 } },
    });
    expect(body).toMatchObject({
      region: "us",
      settings: { allowRegistration: true, newUsersActiveByDefault: true, lockout: { maxAttempts: 3, lockoutSeconds: 60 } },
    });
  });

  it("stores the name in lower case", async () => {
    const name = uniqueSlug("mixed");
    const { body } = await createTenant(eu, name.toUpperCase());
    expect(body.name).toBe(name);
  });

  it("T a second tenant of the same name in the same region is 409 tenant_exists", async () => {
    const { name } = await createTenant(eu);
    const response = await eu.fetch("/operator/tenants", json(tenantBody(name), operatorAuth));
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: "tenant_exists", region: "eu" });
  });

  it.each<[string, (name: string) => unknown, string]>([
    ["a malformed name", () => tenantBody("-bad-"), "name"],
    ["a missing admin", (name) => ({ name, displayName: "X" }), "admin"],
    ["a missing display name", (name) => ({ ...tenantBody(name), displayName: undefined }), "displayName"],
    ["an overlong display name", (name) => tenantBody(name, { displayName: "x".repeat(101) }), "displayName"],
    ["a bad e-mail", (name) => tenantBody(name, { admin: { username: "admin", email: "nope", password: "long enough pw" } }), "admin.email"],
    ["a short password", (name) => tenantBody(name, { admin: { username: "admin", email: "a@b.example", password: "short" } }), "admin.password"],
    ["an overlong password", (name) => tenantBody(name, { admin: { username: "admin", email: "a@b.example", password: "p".repeat(257) } }), "admin.password"],
    ["the username as password", (name) => tenantBody(name, { admin: { username: "administrator", email: "a@b.example", password: "ADMINISTRATOR" } }), "admin.password"],
    ["the e-mail as password", (name) => tenantBody(name, { admin: { username: "admin", email: "boss@b.example", password: "Boss@B.example" } }), "admin.password"],
    ["a username with bad characters", (name) => tenantBody(name, { admin: { username: "ad min!", email: "a@b.example", password: "long enough pw" } }), "admin.username"],
    ["an unknown lockout value", (name) => tenantBody(name, { settings: { lockout: { maxAttempts: 0, lockoutSeconds: 60 } } }), "settings.lockout.maxAttempts"],
    ["an unknown provider", (name) => tenantBody(name, { settings: { providers: { work: ["myspace"], personal: [] } } }), "settings.providers.work.0"],
  ])("%s is 400 validation_failed naming the field, and creates nothing", async (_what, body, path) => {
    const name = uniqueSlug("invalid");
    const response = await eu.fetch("/operator/tenants", json(body(name), operatorAuth));
    expect(response.status).toBe(400);
    const problem = (await response.json()) as Problem;
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
    expect((await eu.fetch(`/t/${name}`)).status).toBe(404);
  });
});

describe("GET /operator/tenants", () => {
  it("pages through this region's tenants in name order, and only this region's", async () => {
    const prefix = uniqueSlug("page");
    for (const suffix of ["a", "b", "c"]) await createTenant(us, `${prefix}-${suffix}`);
    await createTenant(eu, `${prefix}-eu`);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = (await (await us.fetch(`/operator/tenants${query}`, { headers: operatorAuth })).json()) as {
        items: { name: string; region: string }[];
        nextCursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) expect(item.region).toBe("us");
      seen.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
    } while (cursor);

    expect(seen).toEqual([...seen].sort());
    expect(seen.filter((name) => name.startsWith(prefix))).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
  });

  it.each(["not-base64!", btoa("{not json"), btoa(JSON.stringify({ slug: 1 }))])(
    "a tampered cursor (%s) is 400 validation_failed",
    async (cursor) => {
      const response = await eu.fetch(`/operator/tenants?cursor=${encodeURIComponent(cursor)}`, { headers: operatorAuth });
      expect(response.status).toBe(400);
      expect(((await response.json()) as Problem).errors?.[0]?.path).toBe("cursor");
    },
  );

  it("a limit out of range is 400 validation_failed", async () => {
    const response = await eu.fetch("/operator/tenants?limit=1000", { headers: operatorAuth });
    expect(response.status).toBe(400);
  });
});
