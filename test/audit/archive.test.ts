// Rule L's record outlives its retention in the region's R2 archive: the daily clean-up writes each
// tenant's expired sign-in attempts as gzip-compressed JSON lines, one object per tenant, day and part
// (sign-in-attempts/{tenantId}/{YYYY-MM-DD}/{firstAttemptId}.jsonl.gz), and deletes exactly the rows it
// wrote, only once R2 has them. Holes closed: attempts deleted without a copy, a copy missing rows or
// columns, a day mixed with another or with another tenant's, an unbounded object, and rows lost when R2
// fails (the next run writes them again).
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { prune } from "../../src/scheduled";
import { countOf, seedUsedIdTokens } from "../support/rows";
import { testEnv } from "../support/env";
import { eu } from "../support/regions";
import { createTenant } from "../support/tenants";
import {
  archiveKeys,
  attemptRows,
  attemptsAt,
  DAY,
  dayOf,
  dayStart,
  failingBucket,
  pruneWith,
  runDailyCleanUp,
  seedAttempts,
} from "./support";

const HOUR = 3600_000;

describe("the sign-in attempts archive", () => {
  it("L expired attempts land in R2 as gzip JSON lines, a part per tenant and day with every column, then are deleted; recent ones stay", async () => {
    const { body } = await createTenant(eu);
    const other = await createTenant(eu);
    const [d1, d2] = [dayStart(120), dayStart(100)];
    const rows = await seedAttempts(body.id, [d1 + 1 * HOUR, d1 + 2 * HOUR, d1 + 23 * HOUR, d2 + 5 * HOUR, Date.now() - 2 * DAY]);
    const others = await seedAttempts(other.body.id, [d1 + 3 * HOUR]);

    await runDailyCleanUp();

    const keys = await archiveKeys(body.id);
    expect(keys).toEqual([
      `sign-in-attempts/${body.id}/${dayOf(d1)}/${rows[0]!.id}.jsonl.gz`,
      `sign-in-attempts/${body.id}/${dayOf(d2)}/${rows[3]!.id}.jsonl.gz`,
    ]);
    expect(await attemptsAt(keys[0]!)).toEqual(rows.slice(0, 3));
    expect(await attemptsAt(keys[1]!)).toEqual(rows.slice(3, 4));
    const stored = await testEnv.ARCHIVE.head(keys[0]!);
    expect(stored?.httpMetadata?.contentType).toBe("application/gzip");
    // The other tenant's attempt of the same day is in its own part, under its own prefix.
    expect(await archiveKeys(other.body.id)).toEqual([`sign-in-attempts/${other.body.id}/${dayOf(d1)}/${others[0]!.id}.jsonl.gz`]);
    expect(await attemptsAt((await archiveKeys(other.body.id))[0]!)).toEqual(others);

    expect(await attemptRows(body.id)).toEqual(rows.slice(4));
    expect(await attemptRows(other.body.id)).toEqual([]);
  });

  it("L a tenant's own retention decides what is archived: attempts younger than it stay in D1 and out of R2", async () => {
    const { body } = await createTenant(eu, undefined, { settings: { signInAttemptRetentionDays: 7 } });
    const rows = await seedAttempts(body.id, [Date.now() - 8 * DAY, Date.now() - 6 * DAY]);

    await runDailyCleanUp();

    const keys = await archiveKeys(body.id);
    expect(keys).toHaveLength(1);
    expect(await attemptsAt(keys[0]!)).toEqual(rows.slice(0, 1));
    expect(await attemptRows(body.id)).toEqual(rows.slice(1));
  });

  it("H a day with more attempts than a batch becomes several parts of a batch at most, each named by its first attempt", async () => {
    const { body } = await createTenant(eu);
    const day = dayStart(95);
    const rows = await seedAttempts(
      body.id,
      Array.from({ length: 25 }, (_, i) => day + HOUR + i * 60_000),
    );

    await pruneWith(10);

    const keys = await archiveKeys(body.id);
    const parts = [rows[0]!, rows[10]!, rows[20]!].map((row) => `sign-in-attempts/${body.id}/${dayOf(day)}/${row.id}.jsonl.gz`);
    expect([...keys].sort()).toEqual([...parts].sort());
    expect(await attemptsAt(parts[0]!)).toEqual(rows.slice(0, 10));
    expect(await attemptsAt(parts[1]!)).toEqual(rows.slice(10, 20));
    expect(await attemptsAt(parts[2]!)).toEqual(rows.slice(20));
    expect(await attemptRows(body.id)).toEqual([]);
  });

  it("H an R2 failure deletes nothing (the other tables are still cleaned); the next run writes the part and deletes", async () => {
    const { body } = await createTenant(eu);
    const day = dayStart(200);
    const rows = await seedAttempts(body.id, [day + HOUR, day + 2 * HOUR]);
    const expiredToken = `expired-${crypto.randomUUID()}`;
    await seedUsedIdTokens(eu, [{ tokenHash: expiredToken, expiresAt: Date.now() - 1000 }]);
    const { bucket, counter } = failingBucket();

    await runDailyCleanUp({ ...testEnv, ARCHIVE: bucket });

    expect(counter.puts).toBeGreaterThan(0);
    expect(await attemptRows(body.id)).toEqual(rows);
    expect(await archiveKeys(body.id)).toEqual([]);
    expect(await countOf(eu, "SELECT count(*) AS n FROM used_id_tokens WHERE token_hash = ?", expiredToken)).toBe(0);

    await runDailyCleanUp();

    const keys = await archiveKeys(body.id);
    expect(keys).toEqual([`sign-in-attempts/${body.id}/${dayOf(day)}/${rows[0]!.id}.jsonl.gz`]);
    expect(await attemptsAt(keys[0]!)).toEqual(rows);
    expect(await attemptRows(body.id)).toEqual([]);
  });

  it("H a part written again (R2 had it, the delete did not happen) is the same key, overwritten with the same rows", async () => {
    const { body } = await createTenant(eu);
    const day = dayStart(150);
    const rows = await seedAttempts(body.id, [day + HOUR, day + 2 * HOUR]);
    await pruneWith(10);
    const [key] = await archiveKeys(body.id);
    // As if D1 had lost the delete: the same rows are back.
    await eu.db.batch(
      rows.map((row) =>
        eu.db
          .prepare("INSERT INTO sign_in_attempts (id, tenant_id, at, login, success, code, method, ip, client_id, user_agent) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)")
          .bind(row.id, row.tenantId, Date.parse(row.at), row.login, row.code, row.method, row.ip, row.clientId, row.userAgent),
      ),
    );

    await pruneWith(10);

    expect(await archiveKeys(body.id)).toEqual([key]);
    expect(await attemptsAt(key!)).toEqual(rows);
    expect(await attemptRows(body.id)).toEqual([]);
  });

  it("L without an archive bucket, no attempt is deleted", async () => {
    const { body } = await createTenant(eu);
    const rows = await seedAttempts(body.id, [dayStart(300) + HOUR]);
    await prune(database(eu.db), new Date(), { batch: 10 });
    expect(await attemptRows(body.id)).toEqual(rows);
    await pruneWith(10);
    expect(await attemptRows(body.id)).toEqual([]);
  });
});
