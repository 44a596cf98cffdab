// The daily clean-up (src/index.ts `scheduled`, src/scheduled.ts `prune`) over a region with several
// shards: each shard is its own database, so each gets its own run, in bounded steps (PRUNE_BATCH rows a
// statement). Pinned through the Worker's own scheduled handler: expired rows go on every shard, a
// backlog larger than one step on shard 2 included, sign-in attempts of a tenant on shard 2 are archived
// before they go, and what is live stays. Hole closed: a clean-up that only ever sees shard 1, leaving
// the other shards to grow without bound (rule H).
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { oauthFlows, sessions, signInAttempts } from "../../src/db/schema";
import worker from "../../src/index";
import { PRUNE_BATCH } from "../../src/scheduled";
import { testEnv } from "../support/env";
import { regions, type RegionName } from "../support/regions";
import { bindingsOf, insertRows, rowsPerShard, tenantOnShard, type ShardTenant } from "../support/shards";

const DAY = 24 * 3600_000;

async function runDailyCleanUp(regionName: RegionName) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), bindingsOf(regions[regionName]), ctx);
  await waitOnExecutionContext(ctx);
}

/** `expired` provider flows of the tenant that nobody came back to, and one still under way. */
async function seedFlows(tenant: ShardTenant, expired: number) {
  const flow = (expiresAt: number) => ({
    stateHash: crypto.randomUUID(),
    tenantId: tenant.id,
    provider: "google" as const,
    account: "work" as const,
    clientId: "printid-mobile",
    redirectUri: "com.printid.app:/oauth/callback",
    appState: "app-state",
    appCodeChallenge: "challenge",
    codeVerifier: "verifier",
    nonce: "nonce",
    createdAt: new Date(expiresAt - 600_000),
    expiresAt: new Date(expiresAt),
  });
  await insertRows(tenant.region.db, oauthFlows, [...Array.from({ length: expired }, () => flow(Date.now() - DAY)), flow(Date.now() + 600_000)]);
}

/** `ended` sessions of the tenant's admin that ended long ago, and one live. */
async function seedSessions(tenant: ShardTenant, ended: number) {
  const session = (expiresAt: number) => ({
    id: crypto.randomUUID(),
    tenantId: tenant.id,
    userId: tenant.adminId,
    clientId: "printid-mobile",
    method: "password",
    scope: "openid",
    createdAt: new Date(expiresAt - 30 * DAY),
    expiresAt: new Date(expiresAt),
  });
  await insertRows(tenant.region.db, sessions, [...Array.from({ length: ended }, () => session(Date.now() - 60 * DAY)), session(Date.now() + DAY)]);
}

/** Failed sign-ins of the tenant long past its retention (90 days), and one recent. */
async function seedAttempts(tenant: ShardTenant, old: number) {
  const attempt = (at: number, i: number) => ({ tenantId: tenant.id, at: new Date(at), login: `old-${i}`, success: false, code: "invalid_credentials", method: "password" });
  await insertRows(tenant.region.db, signInAttempts, [...Array.from({ length: old }, (_, i) => attempt(Date.now() - 100 * DAY, i)), attempt(Date.now(), old)]);
}

describe("H the daily clean-up on every shard", () => {
  it.each<RegionName>(["eu", "us"])(
    "H expired rows go on both shards, a backlog of more than one step on shard 2 included; live ones stay (%s)",
    async (regionName) => {
      const region = regions[regionName];
      const [one, two] = [await tenantOnShard(region, 1), await tenantOnShard(region, 2)];
      const backlog = PRUNE_BATCH + 150;
      await seedFlows(two, backlog);
      await seedSessions(two, backlog);
      await seedAttempts(two, 25);
      await seedFlows(one, 20);
      await seedSessions(one, 20);
      await seedAttempts(one, 5);
      expect(await rowsPerShard(region, "oauth_flows", two.id)).toEqual([0, backlog + 1]);
      expect(await rowsPerShard(region, "sessions", two.id)).toEqual([0, backlog + 1]);

      await runDailyCleanUp(regionName);

      // What is left of each tenant, on its own shard only: the live flow, the live session, the recent attempt.
      expect(await rowsPerShard(region, "oauth_flows", two.id)).toEqual([0, 1]);
      expect(await rowsPerShard(region, "sessions", two.id)).toEqual([0, 1]);
      expect(await rowsPerShard(region, "sign_in_attempts", two.id)).toEqual([0, 1]);
      expect(await rowsPerShard(region, "oauth_flows", one.id)).toEqual([1, 0]);
      expect(await rowsPerShard(region, "sessions", one.id)).toEqual([1, 0]);
      expect(await rowsPerShard(region, "sign_in_attempts", one.id)).toEqual([1, 0]);
      // The live session still works: the clean-up kept its row as it was.
      expect(
        await two.region.db.prepare("SELECT count(*) AS n FROM sessions WHERE tenant_id = ? AND expires_at > ?").bind(two.id, Date.now()).first(),
      ).toEqual({ n: 1 });
    },
  );

  it("L H sign-in attempts of a tenant on shard 2 are archived to the region's bucket before they are deleted", async () => {
    const two = await tenantOnShard(regions.eu, 2);
    await seedAttempts(two, 12);
    await runDailyCleanUp("eu");
    expect(await rowsPerShard(regions.eu, "sign_in_attempts", two.id)).toEqual([0, 1]);
    const listed = await testEnv.ARCHIVE.list({ prefix: `sign-in-attempts/${two.id}/` });
    expect(listed.objects).toHaveLength(1);
    const part = await testEnv.ARCHIVE.get(listed.objects[0]!.key);
    const lines = (await new Response(part!.body.pipeThrough(new DecompressionStream("gzip"))).text()).trim().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { login: string }).login)).toEqual(Array.from({ length: 12 }, (_, i) => `old-${i}`));
  });
});
