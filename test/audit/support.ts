// Archived sign-in attempts as the tests need them: attempts put straight into D1 at a chosen time, the
// clean-up run over the real R2 simulation (or a bucket that fails), an archive part read back as the
// attempts it holds, the parts a tenant's archive should hold, and the statements a clean-up runs.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import { database } from "../../src/db/client";
import worker from "../../src/index";
import { prune } from "../../src/scheduled";
import { testEnv } from "../support/env";
import { eu, type Region } from "../support/regions";

export const DAY = 24 * 3600_000;

/** Midnight (UTC) of the day `daysAgo` days before today. */
export function dayStart(daysAgo: number): number {
  return Math.floor((Date.now() - daysAgo * DAY) / DAY) * DAY;
}

/** The `YYYY-MM-DD` of a time. */
export const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

/** A row of `sign_in_attempts` as the archive writes it: every column, the time in ISO 8601. */
export interface ArchivedAttempt {
  id: number;
  tenantId: string;
  at: string;
  login: string;
  userId: string | null;
  success: boolean;
  code: string | null;
  method: string;
  ip: string | null;
  clientId: string | null;
  userAgent: string | null;
}

/** Failed password attempts of `tenantId` at these times (logins `${prefix}0`, `${prefix}1`, …); their rows as archived. */
export async function seedAttempts(tenantId: string, ats: number[], prefix = "login-", region: Region = eu): Promise<ArchivedAttempt[]> {
  const insert = region.db.prepare(
    "INSERT INTO sign_in_attempts (tenant_id, at, login, user_id, success, code, method, ip, client_id, user_agent) VALUES (?, ?, ?, NULL, 0, 'invalid_credentials', 'password', '203.0.113.9', 'printid-mobile', 'Seed/1.0')",
  );
  for (let i = 0; i < ats.length; i += 50) {
    await region.db.batch(ats.slice(i, i + 50).map((at, j) => insert.bind(tenantId, at, `${prefix}${i + j}`)));
  }
  return attemptRows(tenantId, region);
}

/** The tenant's attempts still in D1, as the archive would write them, oldest first. */
export async function attemptRows(tenantId: string, region: Region = eu): Promise<ArchivedAttempt[]> {
  const { results } = await region.db
    .prepare("SELECT * FROM sign_in_attempts WHERE tenant_id = ? ORDER BY at, id")
    .bind(tenantId)
    .all<Record<string, unknown>>();
  return results.map((row) => ({
    id: row.id as number,
    tenantId: row.tenant_id as string,
    at: new Date(row.at as number).toISOString(),
    login: row.login as string,
    userId: row.user_id as string | null,
    success: row.success === 1,
    code: row.code as string | null,
    method: row.method as string,
    ip: row.ip as string | null,
    clientId: row.client_id as string | null,
    userAgent: row.user_agent as string | null,
  }));
}

/** The daily clean-up through the Worker's scheduled handler, with these bindings. */
export async function runDailyCleanUp(env = testEnv) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** The clean-up called directly (eu), `batch` rows a step, archiving to `archive`. */
export function pruneWith(batch: number, archive: R2Bucket = testEnv.ARCHIVE) {
  return prune(database(eu.db), new Date(), { batch, archive });
}

/** The keys of the tenant's archive parts, in R2's order. */
export async function archiveKeys(tenantId: string): Promise<string[]> {
  const listed = await testEnv.ARCHIVE.list({ prefix: `sign-in-attempts/${tenantId}/` });
  return listed.objects.map((object) => object.key);
}

/** A gzip-compressed JSON-lines body, decompressed and parsed: one attempt a line. */
export async function attemptsIn(body: ReadableStream | ArrayBuffer | Response): Promise<ArchivedAttempt[]> {
  const stream = body instanceof Response ? body.body! : body instanceof ArrayBuffer ? new Blob([body]).stream() : body;
  const text = await new Response(stream.pipeThrough(new DecompressionStream("gzip"))).text();
  expect(text.endsWith("\n")).toBe(true);
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as ArchivedAttempt);
}

/** Every part of the tenant's archive: its key and the attempts it holds. */
export async function archivedParts(tenantId: string): Promise<Map<string, ArchivedAttempt[]>> {
  const parts = new Map<string, ArchivedAttempt[]>();
  for (const key of await archiveKeys(tenantId)) parts.set(key, await attemptsAt(key));
  return parts;
}

/**
 * The parts the archive makes of `rows` (one tenant's, oldest first): by UTC day, `batch` attempts at
 * most a part, each named by its first attempt.
 */
export function partsOf(rows: ArchivedAttempt[], batch: number): Map<string, ArchivedAttempt[]> {
  const parts = new Map<string, ArchivedAttempt[]>();
  let current: ArchivedAttempt[] = [];
  for (const row of rows) {
    const first = current[0];
    if (!first || first.at.slice(0, 10) !== row.at.slice(0, 10) || current.length === batch) {
      current = [];
      parts.set(`sign-in-attempts/${row.tenantId}/${row.at.slice(0, 10)}/${row.id}.jsonl.gz`, current);
    }
    current.push(row);
  }
  return parts;
}

/** The attempts of one stored part. */
export async function attemptsAt(key: string): Promise<ArchivedAttempt[]> {
  const object = await testEnv.ARCHIVE.get(key);
  expect(object, key).not.toBeNull();
  return attemptsIn(object!.body);
}

/**
 * A bucket whose writes fail as R2 fails when it is unreachable; reads go to the real one. `puts`
 * counts the writes tried.
 */
export function failingBucket(real: R2Bucket = testEnv.ARCHIVE) {
  const counter = { puts: 0 };
  const bucket = {
    put: async () => {
      counter.puts += 1;
      throw new Error("put: We encountered an internal error. Please try again. (10001)");
    },
    get: (key: string) => real.get(key),
    head: (key: string) => real.head(key),
    list: (options?: R2ListOptions) => real.list(options),
    delete: (keys: string | string[]) => real.delete(keys),
  } as unknown as R2Bucket;
  return { bucket, counter };
}
