// Moving a tenant between the shards of its region (src/tenants/move.ts), through the operator API that
// `npm run tenant:move` drives: nothing is lost, the tenant is read-only while it moves, sessions and
// sign-ins begun before the move go on after it, and a move can be called off.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { seedAttempts } from "../audit/support";
import { MOVE_CHUNK } from "../../src/tenants/move";
import { tenantDirectory } from "../../src/tenants/directory";
import { testEnv as env } from "../support/env";
import { appRedirect, callback, followProvider, startAuthorize } from "../support/oidc";
import { eu, us, type Region } from "../support/regions";
import { insertRows } from "../support/shards";
import { json, openTenant, operatorAuth } from "../support/tenants";
import { refresh } from "../support/tokens";
import { bearer, fetchMe, PASSWORD, seedIdentity, seedUser, signIn, tokensFor } from "../support/users";

interface Step {
  phase: string;
  fromShard: number;
  toShard: number;
  waitSeconds?: number;
  table?: string;
  copied?: number;
}

function moveStep(region: Region, name: string, toShard: number, drainSeconds = 0) {
  return region.fetch(`/operator/tenants/${name}/move`, json({ toShard, drainSeconds }, operatorAuth));
}

async function step(region: Region, name: string, toShard: number): Promise<Step> {
  const response = await moveStep(region, name, toShard);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Step;
}

/** Steps the move to its end, as the script does; the phases it went through. */
async function moveAll(region: Region, name: string, toShard: number): Promise<string[]> {
  const phases: string[] = [];
  for (let i = 0; i < 500; i++) {
    const { phase } = await step(region, name, toShard);
    phases.push(phase);
    if (phase === "done") return phases;
  }
  throw new Error(`the move of ${name} did not finish: ${phases.slice(-5).join(", ")}`);
}

const TABLES = ["users", "external_identities", "sessions", "authorization_codes", "oauth_flows", "account_tokens", "device_clients", "device_authorizations", "unknown_login_failures", "sign_in_attempts"];

/** The tenant's rows on one shard, per table (and its own row). */
async function rowsOn(shard: D1Database, tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {
    tenants: (await shard.prepare("SELECT count(*) AS n FROM tenants WHERE id = ?").bind(tenantId).first<{ n: number }>())!.n,
  };
  for (const table of TABLES) {
    counts[table] = (await shard.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(tenantId).first<{ n: number }>())!.n;
  }
  return counts;
}

const none = Object.fromEntries(["tenants", ...TABLES].map((table) => [table, 0]));

/** `n` copies of a user (password hash included) put straight into shard 1: more than one copy chunk. */
async function seedManyUsers(region: Region, like: string, n: number) {
  const db = drizzle(region.db);
  const template = (await db.select().from(users).where(eq(users.id, like)).get())!;
  const copies = Array.from({ length: n }, (_, i) => ({ ...template, id: crypto.randomUUID(), username: `bulk-${i}`, email: `bulk-${i}@moved.example` }));
  await insertRows(region.db, users, copies);
}

describe("moving a tenant to another shard", () => {
  it("T a moved tenant keeps every user, identity, session and attempt, in chunks larger than one step; nothing is left on its old shard", async () => {
    const tenant = await openTenant(eu);
    const ada = await seedUser(eu, tenant.id, { username: "ada", email: "ada@moved.example" });
    await seedIdentity(eu, { tenantId: tenant.id, userId: ada.id, provider: "google", subject: "google-ada" });
    await seedManyUsers(eu, ada.id, MOVE_CHUNK + 20);
    await seedAttempts(tenant.id, Array.from({ length: MOVE_CHUNK * 2 + 5 }, (_, i) => Date.now() - i * 1000));
    for (let i = 0; i < 3; i++) await tokensFor(eu, tenant.name, "ada");
    await signIn(eu, tenant.name, { login: "ada", password: "wrong password here" });
    const before = await rowsOn(eu.shards[0]!, tenant.id);
    expect(before.users).toBe(MOVE_CHUNK + 22);
    expect(before.sign_in_attempts).toBeGreaterThan(MOVE_CHUNK * 2);

    const phases = await moveAll(eu, tenant.name, 2);
    expect(phases[0]).toBe("draining");
    expect(phases.filter((phase) => phase === "copying").length).toBeGreaterThan(TABLES.length + 2);
    expect(phases).toContain("switched");
    expect(phases).toContain("purging");

    expect(await rowsOn(eu.shards[1]!, tenant.id)).toEqual(before);
    expect(await rowsOn(eu.shards[0]!, tenant.id)).toEqual(none);
    expect(await tenantDirectory(env).homeOf(tenant.name)).toEqual({ region: "eu", shard: 2 });
    // The attempts keep their order (the new shard numbers them anew, oldest first).
    const logins = async (shard: D1Database) =>
      (await shard.prepare("SELECT login FROM sign_in_attempts WHERE tenant_id = ? ORDER BY id").bind(tenant.id).all<{ login: string }>()).results.map((r) => r.login);
    expect((await logins(eu.shards[1]!)).slice(0, 3)).toEqual(["login-0", "login-1", "login-2"]);
  });

  it("P sessions opened before the move go on after it: the access token reads /me, the refresh token rotates, the password still signs in", async () => {
    const tenant = await openTenant(eu);
    await seedUser(eu, tenant.id, { username: "ben" });
    const tokens = await tokensFor(eu, tenant.name, "ben");
    // This isolate now remembers the tenant on shard 1: after the move it finds it gone there, and asks again.
    expect((await fetchMe(eu, tenant.name, tokens.access_token)).status).toBe(200);

    await moveAll(eu, tenant.name, 2);

    expect((await fetchMe(eu, tenant.name, tokens.access_token)).status).toBe(200);
    const refreshed = await refresh(eu, tenant.name, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    expect((await signIn(eu, tenant.name, { login: "ben", password: PASSWORD })).status).toBe(200);
    expect(await rowsOn(eu.shards[0]!, tenant.id)).toEqual(none);
  });

  it("H while it moves, the tenant is read-only: reads are served, every write is 503 with Retry-After and leaves no row behind", async () => {
    const tenant = await openTenant(eu);
    await seedUser(eu, tenant.id, { username: "cy" });
    const tokens = await tokensFor(eu, tenant.name, "cy");
    const drain = await moveStep(eu, tenant.name, 2, 600);
    expect(((await drain.json()) as Step).phase).toBe("draining");
    const before = await rowsOn(eu.shards[0]!, tenant.id);

    expect((await eu.fetch(`/t/${tenant.name}`)).status).toBe(200);
    expect((await fetchMe(eu, tenant.name, tokens.access_token)).status).toBe(200);
    const refused = [
      await signIn(eu, tenant.name, { login: "cy", password: PASSWORD }),
      await refresh(eu, tenant.name, tokens.refresh_token),
      await eu.fetch(`/t/${tenant.name}/me`, { method: "PATCH", headers: { ...bearer(tokens.access_token), "Content-Type": "application/json" }, body: JSON.stringify({ username: "cy2" }) }),
    ];
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(response.headers.get("Retry-After")).toBe("60");
    }
    expect(await rowsOn(eu.shards[0]!, tenant.id)).toEqual(before);
    // Still draining: nothing is copied until requests begun before the mark have ended.
    expect(((await (await moveStep(eu, tenant.name, 2, 600)).json()) as Step).phase).toBe("draining");
  });

  it("H a move called off (moved back to where it is) makes the tenant writable again and removes the partial copy", async () => {
    const tenant = await openTenant(eu);
    await seedUser(eu, tenant.id, { username: "dee" });
    expect((await step(eu, tenant.name, 2)).phase).toBe("draining");
    expect((await step(eu, tenant.name, 2)).phase).toBe("copying");
    expect((await step(eu, tenant.name, 2)).phase).toBe("copying");
    expect((await rowsOn(eu.shards[1]!, tenant.id)).tenants).toBe(1);

    expect((await step(eu, tenant.name, 1)).phase).toBe("abandoned");
    expect(await moveAll(eu, tenant.name, 1)).toContain("purging");
    expect(await rowsOn(eu.shards[1]!, tenant.id)).toEqual(none);
    expect((await signIn(eu, tenant.name, { login: "dee", password: PASSWORD })).status).toBe(200);
    expect(await tenantDirectory(env).homeOf(tenant.name)).toEqual({ region: "eu", shard: 1 });
  });

  it("H another target while a move is under way is 400 validation_failed naming toShard; a shard the region lacks too", async () => {
    const tenant = await openTenant(us);
    const beyond = await moveStep(us, tenant.name, 3);
    expect(beyond.status).toBe(400);
    expect(((await beyond.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe("toShard");
    expect((await moveStep(us, "no-such-tenant-here", 2)).status).toBe(404);
    expect((await moveStep(us, tenant.name, 2, 1)).status).toBe(200);
  });

  it("S a provider sign-in begun before the move finishes after it: its flow moved with the tenant", async () => {
    const tenant = await openTenant(eu, { providers: { work: ["google"], personal: [] } });
    const started = await startAuthorize(eu, tenant.name, { provider: "google", account: "work" });
    const answer = await followProvider(started.location);

    await moveAll(eu, tenant.name, 2);

    const redirect = await appRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }));
    expect(redirect.error).toBeNull();
    expect(redirect.code).toBeTruthy();
    expect((await rowsOn(eu.shards[1]!, tenant.id)).users).toBe(2);
  });

  it("T the operator API needs the operator token", async () => {
    const tenant = await openTenant(eu);
    const response = await eu.fetch(`/operator/tenants/${tenant.name}/move`, json({ toShard: 2 }));
    expect(response.status).toBe(401);
  });
});
