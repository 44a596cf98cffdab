// A region bound to one D1 database (no DB_2): the tenant middleware reads it without asking the directory
// for a shard, and every path still works (issue 12: "no query path knows how many shards exist").
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { tenantDirectory } from "../../src/tenants/directory";
import { testEnv as env } from "../support/env";
import { json, operatorAuth, tenantBody, uniqueSlug } from "../support/tenants";
import { PASSWORD } from "../support/users";

/** The eu Worker as a region with its first shard only. */
const oneShard = { ...env, DB_2: undefined };

async function fetchOneShard(path: string, init?: RequestInit) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(env.ORIGIN + path, init), oneShard, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("a region with one shard", () => {
  it("T H a tenant is created on shard 1, served by name, and its admin signs in", async () => {
    const name = uniqueSlug("single");
    // No shard named: the region's only one is the one with the most room.
    const created = await fetchOneShard("/operator/tenants", json(tenantBody(name, { shard: undefined }), operatorAuth));
    expect(created.status, await created.clone().text()).toBe(201);
    expect(((await created.json()) as { shard: number }).shard).toBe(1);
    expect(await tenantDirectory(env).homeOf(name)).toEqual({ region: "eu", shard: 1 });
    expect((await fetchOneShard(`/t/${name}`)).status).toBe(200);
    const signIn = await fetchOneShard(`/t/${name}/sign-in`, json({ login: "admin", password: PASSWORD, clientId: "printid-mobile" }));
    expect(signIn.status).toBe(200);
  });

  it("T H shard 2 is refused when the region has one shard: 400 validation_failed on shard", async () => {
    const response = await fetchOneShard("/operator/tenants", json(tenantBody(uniqueSlug("single"), { shard: 2 }), operatorAuth));
    expect(response.status).toBe(400);
  });

  it("T an unknown name is 404 tenant_not_found", async () => {
    expect((await fetchOneShard(`/t/${uniqueSlug("nobody")}`)).status).toBe(404);
  });
});
