import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { signInAttempts, tenants } from "../db/schema";
import type { RequestMeta } from "../http/request-meta";
import type { Pruner } from "../db/prune";

const DAY_MS = 24 * 3600_000;

export interface Attempt {
  tenantId: string;
  at: Date;
  /** As typed (or the provider's subject), cut to a sane length. */
  login: string;
  userId: string | null;
  /** The outcome's error code; null on success. */
  code: string | null;
  method: string;
  clientId: string | null;
}

/** Rule L: every attempt, success or failure, is recorded (a write for the caller's batch). */
export function recordAttempt(db: Database, attempt: Attempt, meta: RequestMeta) {
  return db.insert(signInAttempts).values({
    ...attempt,
    login: attempt.login.slice(0, 320),
    success: attempt.code === null,
    ip: meta.ip,
    userAgent: meta.userAgent,
  });
}

/**
 * The scheduled clean-up's share: attempts older than their tenant's retention
 * (`signInAttemptRetentionDays`). Each tenant's are found through (tenant_id, at): only expired rows are
 * visited, however many recent ones a tenant keeps.
 */
export const pruneAttempts: Pruner = (db, now, limit) => {
  const expired = db
    .select({ rowid: sql`${signInAttempts}.rowid` })
    .from(tenants)
    .innerJoin(
      signInAttempts,
      and(eq(signInAttempts.tenantId, tenants.id), lt(signInAttempts.at, sql`${now.getTime()} - ${tenants.attemptRetentionDays} * ${DAY_MS}`)),
    )
    .limit(limit);
  return [db.delete(signInAttempts).where(inArray(sql`rowid`, expired))];
};

/** The admin's audit list: newest first, `limit` at a time, resuming below the id `before`. */
export async function listAttempts(db: Database, tenantId: string, page: { limit: number; before?: number }) {
  return db
    .select()
    .from(signInAttempts)
    .where(and(eq(signInAttempts.tenantId, tenantId), page.before === undefined ? undefined : lt(signInAttempts.id, page.before)))
    .orderBy(desc(signInAttempts.id))
    .limit(page.limit)
    .all();
}
