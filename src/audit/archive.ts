/**
 * The archive of sign-in attempts (rule L's record) past their tenant's retention or beyond its cap
 * (attempt-cap.ts): before the clean-up deletes them, it writes them to the region's R2 bucket
 * (`ARCHIVE`, in the region's jurisdiction), one gzip-compressed JSON-lines object per tenant, day and
 * part:
 *
 *   sign-in-attempts/{tenantId}/{YYYY-MM-DD}/{firstAttemptId}.jsonl.gz
 *
 * A part holds at most one clean-up batch of attempts of one tenant and one UTC day, oldest first; a day
 * with more attempts than a batch, or whose attempts go over several runs, has several parts, each
 * named by the id of its first attempt. The admin API and the console list and serve them, each tenant
 * only its own (rule T): every key is built here from the tenant's id and a validated day and part.
 */
import { and, asc, eq, gte, inArray, isNull, lt, sql } from "drizzle-orm";
import * as v from "valibot";
import type { Database } from "../db/client";
import type { PruneStep } from "../db/prune";
import { signInAttempts, tenants, type Tenant } from "../db/schema";
import { AppError } from "../http/errors";

const DAY_MS = 24 * 3600_000;
/** D1 binds at most 100 parameters to a statement: the delete goes in chunks of this many ids. */
const IDS_PER_DELETE = 90;

const ROOT = "sign-in-attempts";
const SUFFIX = ".jsonl.gz";

/** A day of the archive, `YYYY-MM-DD` (UTC), and a real date. */
export const ArchiveDay = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}$/, "A day as YYYY-MM-DD"),
  v.check((day) => {
    const date = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(day);
  }, "Not a date"),
);
/** A part of a day: the id of its first attempt. */
export const ArchivePart = v.pipe(v.string(), v.regex(/^[1-9]\d{0,15}$/, "A part is the number the list gives"));
/** The day and part that name one archived part, as the API's path and the console's link carry them. */
export const ArchivePartKey = v.object({ day: ArchiveDay, part: ArchivePart });

function prefixOf(tenantId: string): string {
  return `${ROOT}/${tenantId}/`;
}

/** The key of one part; `day` and `part` must have passed ArchiveDay and ArchivePart. */
export function archiveKey(tenantId: string, day: string, part: string | number): string {
  return `${prefixOf(tenantId)}${day}/${part}${SUFFIX}`;
}

export interface ArchiveItem {
  day: string;
  part: string;
  /** Compressed bytes. */
  size: number;
  uploadedAt: string;
}

/**
 * One page of the tenant's archives, in key order (oldest day first; a day's parts in the text order of
 * their numbers), resuming at R2's own `cursor`. Only keys under the tenant's prefix are ever listed.
 */
export async function listArchives(
  bucket: R2Bucket,
  tenantId: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: ArchiveItem[]; nextCursor: string | null }> {
  const prefix = prefixOf(tenantId);
  const listed = await bucket.list({ prefix, limit: page.limit, cursor: page.cursor });
  const items = listed.objects.flatMap((object) => {
    const match = /^(\d{4}-\d{2}-\d{2})\/(\d+)\.jsonl\.gz$/.exec(object.key.slice(prefix.length));
    return match ? [{ day: match[1]!, part: match[2]!, size: object.size, uploadedAt: object.uploaded.toISOString() }] : [];
  });
  return { items, nextCursor: listed.truncated ? listed.cursor : null };
}

/** The name a download is saved under. */
export function archiveFilename(tenantSlug: string, day: string, part: string): string {
  return `sign-in-attempts-${tenantSlug}-${day}-${part}${SUFFIX}`;
}

/**
 * One part of the tenant's archive as a file to save, for the admin API and the console alike, never
 * cached; `404 not_found` when the tenant has no such part.
 */
export async function archiveDownload(bucket: R2Bucket, tenant: Tenant, { day, part }: v.InferOutput<typeof ArchivePartKey>): Promise<Response> {
  const object = await bucket.get(archiveKey(tenant.id, day, part));
  if (!object) throw new AppError("not_found", { detail: "There is no such archive of this tenant." });
  return new Response(object.body, {
    headers: {
      "Content-Type": "application/gzip",
      "Content-Length": String(object.size),
      "Content-Disposition": `attachment; filename="${archiveFilename(tenant.slug, day, part)}"`,
      "Cache-Control": "no-store",
    },
  });
}

type AttemptRow = typeof signInAttempts.$inferSelect;

/** One attempt, one line: every column, times in ISO 8601. */
function lineOf(row: AttemptRow): string {
  return JSON.stringify({
    id: row.id,
    tenantId: row.tenantId,
    at: row.at.toISOString(),
    login: row.login,
    userId: row.userId,
    success: row.success,
    code: row.code,
    method: row.method,
    ip: row.ip,
    clientId: row.clientId,
    userAgent: row.userAgent,
  });
}

async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
}

/**
 * One part of the archive, then its rows gone: the tenant's attempts from `oldestAt` (its oldest one still
 * to go) up to before `cutoff`, within `oldestAt`'s UTC day, at most `limit` of them, oldest first. Only
 * once R2 has them are exactly those rows deleted. A failed write deletes nothing: the next run writes the
 * same part again, under the same key. Without more to do (nothing found, or R2 failed), `more` is false.
 */
export async function archiveOnePart(
  db: Database,
  archive: R2Bucket,
  tenantId: string,
  oldestAt: number,
  cutoff: number,
  limit: number,
): Promise<{ deleted: number; more: boolean }> {
  const dayStart = Math.floor(oldestAt / DAY_MS) * DAY_MS;
  const end = new Date(Math.min(dayStart + DAY_MS, cutoff));
  const rows = await db
    .select()
    .from(signInAttempts)
    .where(and(eq(signInAttempts.tenantId, tenantId), gte(signInAttempts.at, new Date(oldestAt)), lt(signInAttempts.at, end)))
    .orderBy(asc(signInAttempts.at), asc(signInAttempts.id))
    .limit(limit)
    .all();
  if (rows.length === 0) return { deleted: 0, more: false };

  const day = new Date(dayStart).toISOString().slice(0, 10);
  const key = archiveKey(tenantId, day, rows[0]!.id);
  try {
    await archive.put(key, await gzip(rows.map((row) => `${lineOf(row)}\n`).join("")), {
      httpMetadata: { contentType: "application/gzip" },
      customMetadata: { attempts: String(rows.length), from: rows[0]!.at.toISOString(), to: rows.at(-1)!.at.toISOString() },
    });
  } catch (error) {
    // Nothing is deleted; the next run writes this part again. The other tables go on.
    console.error(
      JSON.stringify({ level: "error", task: "prune", step: "sign-in attempts archive", key, reason: error instanceof Error ? error.message : String(error) }),
    );
    return { deleted: 0, more: false };
  }

  const ids = rows.map((row) => row.id);
  const deletes = [];
  for (let i = 0; i < ids.length; i += IDS_PER_DELETE) {
    deletes.push(db.delete(signInAttempts).where(inArray(signInAttempts.id, ids.slice(i, i + IDS_PER_DELETE))));
  }
  const results = await db.batch(deletes as [(typeof deletes)[number], ...typeof deletes]);
  return { deleted: results.reduce((sum, result) => sum + result.meta.changes, 0), more: true };
}

/**
 * The clean-up's share of the attempts table past retention: one part a step. The oldest expired attempt
 * of the first tenant that has one (each tenant probed through `(tenant_id, at)`) names the day; that
 * tenant's expired attempts of that day go as one part (archiveOnePart). Without a bucket nothing is
 * deleted.
 */
export const archiveExpiredAttempts: PruneStep = async (db, now, limit, { archive }) => {
  if (!archive) return { deleted: 0, more: false };
  const cutoffOf = sql`${now.getTime()} - ${tenants.attemptRetentionDays} * ${DAY_MS}`;
  const oldestExpired = db
    .select({ at: signInAttempts.at })
    .from(signInAttempts)
    .where(and(eq(signInAttempts.tenantId, tenants.id), lt(signInAttempts.at, cutoffOf)))
    .orderBy(asc(signInAttempts.at))
    .limit(1);
  const next = await db
    .select({ tenantId: tenants.id, retentionDays: tenants.attemptRetentionDays, oldest: sql<number>`(${oldestExpired})` })
    .from(tenants)
    // A tenant moving between shards keeps its attempts until it has arrived (tenants/move.ts).
    .where(and(isNull(tenants.moveState), sql`(${oldestExpired}) IS NOT NULL`))
    .limit(1)
    .get();
  if (!next) return { deleted: 0, more: false };
  return archiveOnePart(db, archive, next.tenantId, next.oldest, now.getTime() - next.retentionDays * DAY_MS, limit);
};
