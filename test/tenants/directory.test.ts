// The global tenant directory: a tenant name is unique across regions, claimed atomically in one Durable
// Object, and given back when the tenant could not be written.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ABANDONED_CLAIM_MS, tenantDirectory } from "../../src/tenants/directory";
import { testEnv } from "../support/env";
import { eu, us } from "../support/regions";
import { createTenant, json, operatorAuth, tenantBody, uniqueSlug } from "../support/tenants";

const directory = () => tenantDirectory(testEnv);

async function countTenants(name: string) {
  let total = 0;
  for (const region of [eu, us]) {
    const row = await region.db.prepare("SELECT count(*) AS n FROM tenants WHERE slug = ?").bind(name).first<{ n: number }>();
    total += row?.n ?? 0;
  }
  return total;
}

describe("tenant directory", () => {
  it("T a name held by the other region is 409 tenant_exists naming that region", async () => {
    const { name } = await createTenant(eu);
    const response = await us.fetch("/operator/tenants", json(tenantBody(name), operatorAuth));
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: "tenant_exists", region: "eu" });
    expect(await countTenants(name)).toBe(1);
  });

  it("T a name is looked up case-insensitively when created", async () => {
    const { name } = await createTenant(us);
    const response = await eu.fetch("/operator/tenants", json(tenantBody(name.toUpperCase()), operatorAuth));
    expect(response.status).toBe(409);
  });

  it("T of many concurrent creations of one name in both regions, exactly one succeeds", async () => {
    const name = uniqueSlug("race");
    const attempts = [eu, us, eu, us, eu, us, eu, us].map((region) =>
      region.fetch("/operator/tenants", json(tenantBody(name), operatorAuth)),
    );
    const statuses = (await Promise.all(attempts)).map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(await countTenants(name)).toBe(1);
  });

  it("T when the regional write fails the claim is released, and nothing is half-written", async () => {
    const name = uniqueSlug("fault");
    // Make D1 refuse the admin row of this one tenant: the batch must fail whole.
    await eu.db
      .prepare(
        `CREATE TRIGGER IF NOT EXISTS refuse_fault_admin BEFORE INSERT ON users
         WHEN NEW.email = 'admin@${name}.example' BEGIN SELECT RAISE(ABORT, 'injected fault'); END`,
      )
      .run();
    try {
      const response = await eu.fetch("/operator/tenants", json(tenantBody(name), operatorAuth));
      expect(response.status).toBe(500);
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({ code: "internal_error", status: 500 });
      expect(body).not.toMatch(/injected|INSERT|users|at .*\.ts/);
    } finally {
      await eu.db.prepare("DROP TRIGGER refuse_fault_admin").run();
    }
    expect(await countTenants(name)).toBe(0);
    expect(await directory().homeOf(name)).toBeNull();
    // The name is free again, for either region.
    await createTenant(us, name);
  });

  it("T a claim still in flight in this region blocks a second creation", async () => {
    const name = uniqueSlug("inflight");
    expect(await directory().claim(name, "eu")).toMatchObject({ claimed: true });
    const response = await eu.fetch("/operator/tenants", json(tenantBody(name), operatorAuth));
    expect(response.status).toBe(409);
  });

  it("T a claim abandoned long ago by its own region is taken over", async () => {
    const name = uniqueSlug("abandoned");
    expect(await directory().claim(name, "eu")).toMatchObject({ claimed: true });
    await runInDurableObject(directory(), (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE homes SET claimed_at = ? WHERE slug = ?",
        Date.now() - ABANDONED_CLAIM_MS - 1,
        name,
      );
    });
    await createTenant(eu, name);
    // ...but never one of another region, however old.
    const taken = await us.fetch("/operator/tenants", json(tenantBody(name), operatorAuth));
    expect(taken.status).toBe(409);
  });

  it("T the directory holds only the name and its home (region and shard)", async () => {
    const { name } = await createTenant(eu);
    const columns = await runInDurableObject(directory(), (_instance, state) =>
      state.storage.sql.exec("SELECT * FROM homes WHERE slug = ?", name).columnNames,
    );
    expect(columns).toEqual(["slug", "region", "claim_token", "claimed_at", "shard"]);
    expect(await directory().homeOf(name)).toEqual({ region: "eu", shard: 1 });
  });
});
