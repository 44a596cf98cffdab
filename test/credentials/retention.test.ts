// Rule L's records are kept for a bounded time: the daily scheduled handler deletes sign-in attempts past
// their retention, expired codes and provider flows, sessions long over, idle unknown-login buckets and
// expired provider ID tokens; it keeps everything recent.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import worker from "../../src/index";
import { prune } from "../../src/scheduled";
import { testEnv } from "../support/env";
import { eu } from "../support/regions";
import { countOf, seedUsedIdTokens } from "../support/rows";
import { createTenant } from "../support/tenants";
import { seedUser, signIn, tokensFor } from "../support/users";

const DAY = 24 * 3600_000;

async function runDailyCleanUp() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), testEnv, ctx);
  await waitOnExecutionContext(ctx);
}

describe("retention", () => {
  it("L sign-in attempts older than the retention bound (90 days unless the tenant says) are pruned, recent ones kept", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    await signIn(eu, name, { login: user.username, password: "wrong password" });
    await signIn(eu, name, { login: user.username, password: user.password });
    const old = Date.now() - 91 * DAY;
    await eu.db.prepare("UPDATE sign_in_attempts SET at = ? WHERE tenant_id = ? AND success = 0").bind(old, body.id).run();

    await runDailyCleanUp();

    expect(await countOf(eu, "SELECT count(*) AS n FROM sign_in_attempts WHERE tenant_id = ? AND success = 0", body.id)).toBe(0);
    expect(await countOf(eu, "SELECT count(*) AS n FROM sign_in_attempts WHERE tenant_id = ? AND success = 1", body.id)).toBe(1);
  });

  it("L each tenant's attempts are kept for its own signInAttemptRetentionDays", async () => {
    const short = await createTenant(eu, undefined, { settings: { signInAttemptRetentionDays: 7 } });
    const usual = await createTenant(eu);
    const ages = [6, 8, 30];
    for (const tenant of [short, usual]) {
      for (const _ of ages) await signIn(eu, tenant.name, { login: "nobody-here", password: "wrong password" });
      const ids = (await eu.db.prepare("SELECT id FROM sign_in_attempts WHERE tenant_id = ? ORDER BY id").bind(tenant.body.id).all<{ id: number }>()).results;
      for (const [i, { id }] of ids.entries()) {
        await eu.db.prepare("UPDATE sign_in_attempts SET at = ? WHERE id = ?").bind(Date.now() - ages[i]! * DAY, id).run();
      }
    }

    await runDailyCleanUp();

    const left = (tenantId: string) => countOf(eu, "SELECT count(*) AS n FROM sign_in_attempts WHERE tenant_id = ?", tenantId);
    expect(await left(short.body.id)).toBe(1);
    expect(await left(usual.body.id)).toBe(3);
  });

  it("S expired sessions are pruned a while after their end; live ones kept", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    for (let i = 0; i < 2; i++) await signIn(eu, name, { login: user.username, password: user.password });
    const sessionIds = (
      await eu.db.prepare("SELECT id FROM sessions WHERE user_id = ? ORDER BY created_at").bind(user.id).all<{ id: string }>()
    ).results.map((row) => row.id);
    await eu.db.prepare("UPDATE sessions SET expires_at = ? WHERE id = ?").bind(Date.now() - 60 * DAY, sessionIds[0]).run();

    await runDailyCleanUp();

    expect(await countOf(eu, "SELECT count(*) AS n FROM sessions WHERE user_id = ?", user.id)).toBe(1);
    expect(await countOf(eu, "SELECT count(*) AS n FROM sessions WHERE id = ?", sessionIds[1])).toBe(1);
  });

  it("L unknown-login buckets idle for over a day are pruned; a bucket in use is kept", async () => {
    const { name, body } = await createTenant(eu);
    for (const login of ["ghost-one", "ghost-two"]) await signIn(eu, name, { login, password: "wrong password" });
    const buckets = (
      await eu.db.prepare("SELECT bucket FROM unknown_login_failures WHERE tenant_id = ? ORDER BY bucket").bind(body.id).all<{ bucket: number }>()
    ).results;
    expect(buckets).toHaveLength(2);
    await eu.db
      .prepare("UPDATE unknown_login_failures SET updated_at = ? WHERE tenant_id = ? AND bucket = ?")
      .bind(Date.now() - 2 * DAY, body.id, buckets[0]!.bucket)
      .run();

    await runDailyCleanUp();

    expect(await countOf(eu, "SELECT count(*) AS n FROM unknown_login_failures WHERE tenant_id = ?", body.id)).toBe(1);
  });

  it("X used provider ID tokens are forgotten once expired; unexpired ones kept", async () => {
    const [expired, live] = [`expired-${crypto.randomUUID()}`, `live-${crypto.randomUUID()}`];
    await seedUsedIdTokens(eu, [
      { tokenHash: expired, expiresAt: Date.now() - 1000 },
      { tokenHash: live, expiresAt: Date.now() + 3600_000 },
    ]);

    await runDailyCleanUp();

    expect(await countOf(eu, "SELECT count(*) AS n FROM used_id_tokens WHERE token_hash IN (?, ?)", expired, live)).toBe(1);
    expect(await countOf(eu, "SELECT count(*) AS n FROM used_id_tokens WHERE token_hash = ?", live)).toBe(1);
  });
});

describe("H: the clean-up in bounded steps", () => {
  /** 25 expired used ID tokens and one live one: more than two steps of 10. */
  async function backlog() {
    const expired = Array.from({ length: 25 }, () => `expired-${crypto.randomUUID()}`);
    const live = `live-${crypto.randomUUID()}`;
    await seedUsedIdTokens(eu, [
      ...expired.map((tokenHash) => ({ tokenHash, expiresAt: Date.now() - 1000 })),
      { tokenHash: live, expiresAt: Date.now() + 3600_000 },
    ]);
    const left = () => countOf(eu, `SELECT count(*) AS n FROM used_id_tokens WHERE token_hash IN (${expired.map(() => "?").join(", ")})`, ...expired);
    return { left, live };
  }

  it("H a backlog larger than one step is deleted step by step, and what is live is kept", async () => {
    const { left, live } = await backlog();
    expect(await prune(database(eu.db), new Date(), { batch: 10 })).toBeGreaterThanOrEqual(25);
    expect(await left()).toBe(0);
    expect(await countOf(eu, "SELECT count(*) AS n FROM used_id_tokens WHERE token_hash = ?", live)).toBe(1);
  });

  it("H sessions ended long ago are deleted a few at a time; a live session is kept", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    for (let i = 0; i < 13; i++) await tokensFor(eu, name, user.username);
    const [liveId, ...endedIds] = (
      await eu.db.prepare("SELECT id FROM sessions WHERE user_id = ? ORDER BY created_at DESC").bind(user.id).all<{ id: string }>()
    ).results.map((row) => row.id);
    const ended = endedIds.map(() => "?").join(", ");
    await eu.db.prepare(`UPDATE sessions SET expires_at = ? WHERE id IN (${ended})`).bind(Date.now() - 60 * DAY, ...endedIds).run();

    await prune(database(eu.db), new Date(), { batch: 5 });

    expect(await countOf(eu, `SELECT count(*) AS n FROM sessions WHERE id IN (${ended})`, ...endedIds)).toBe(0);
    expect(await countOf(eu, "SELECT count(*) AS n FROM sessions WHERE id = ?", liveId)).toBe(1);
  });

  it("H a run out of time stops without an error, and the next run deletes the rest", async () => {
    const { left } = await backlog();
    expect(await prune(database(eu.db), new Date(), { batch: 10, budgetMs: 0 })).toBe(0);
    expect(await left()).toBe(25);
    await runDailyCleanUp();
    expect(await left()).toBe(0);
  });
});
