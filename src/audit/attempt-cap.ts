/**
 * The cap on a tenant's sign-in attempts (its `signInAttemptCap` setting, `tenants.attempt_cap`): however
 * young they are, the attempts beyond the tenant's newest `cap` go the way expired ones go (archive.ts):
 * the daily clean-up writes them to R2, under the same keys and in the same parts, and deletes exactly
 * what R2 has. A tenant that signs in faster than its retention foresees, or is flooded with failures,
 * so keeps a bounded share of its shard.
 */
import { asc, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import type { PruneStep } from "../db/prune";
import { signInAttempts, tenants } from "../db/schema";
import { archiveOnePart } from "./archive";

/**
 * The time of the tenant's newest attempt beyond its cap, the (cap + 1)-th newest, or null while it has
 * no more than `cap`: that attempt and every older one go, so the newest `cap` stay, less those that share
 * its millisecond. SQLite's OFFSET cannot name the tenant's own cap, hence the numbering: a window over
 * `(tenant_id, at)` newest first, read as it goes, so the walk stops after cap + 1 entries of the index.
 */
const capAtOfTenant = sql<number | null>`(SELECT at FROM (
  SELECT ${signInAttempts.at} AS at, row_number() OVER (ORDER BY ${signInAttempts.at} DESC) AS newer
  FROM ${signInAttempts} WHERE ${signInAttempts.tenantId} = ${tenants.id}
) WHERE newer = ${tenants.attemptCap} + 1 LIMIT 1)`;

interface OverCap {
  tenantId: string;
  /** The cap `capAt` was found for. */
  cap: number;
  capAt: number;
}

/**
 * The tenants over their cap, not moving (a moving tenant keeps its attempts until it has arrived,
 * tenants/move.ts). Every row of `tenants` is read, by design: each tenant has its own cap. Their attempts
 * are read through the index only, at most cap + 1 entries each. Materialized, since SQLite would
 * otherwise flatten the filter into the walk and walk every tenant over its cap twice.
 */
function tenantsOverCap(db: Database): Promise<OverCap[]> {
  return db.all<OverCap>(sql`WITH walked AS MATERIALIZED (
    SELECT ${tenants.id} AS tenantId, ${tenants.attemptCap} AS cap, ${capAtOfTenant} AS capAt
    FROM ${tenants} WHERE ${tenants.moveState} IS NULL
  ) SELECT tenantId, cap, capAt FROM walked WHERE capAt IS NOT NULL`);
}

/**
 * The clean-up's share of the attempts table beyond the caps, as one run's step: the run's first step
 * finds the tenants over their cap, once; each step then archives one part (archiveOnePart) of the first
 * such tenant's attempts at or before its `capAt`, oldest first, until it has none left. Attempts that
 * arrive during the run are newer, so `capAt` holds for the whole run (found anew, it would cost a walk of
 * `cap` index entries a step); a tenant that has begun to move, or whose cap was changed, since the run
 * began waits for the next run. Without a bucket nothing is deleted.
 */
export function archiveAttemptsOverCap(): PruneStep {
  let overCap: OverCap[] | undefined;
  return async (db, _now, limit, { archive }) => {
    if (!archive) return { deleted: 0, more: false };
    overCap ??= await tenantsOverCap(db);
    for (; overCap.length > 0; overCap.shift()) {
      const { tenantId, cap, capAt } = overCap[0]!;
      const oldest = db
        .select({ at: signInAttempts.at })
        .from(signInAttempts)
        .where(eq(signInAttempts.tenantId, tenants.id))
        .orderBy(asc(signInAttempts.at))
        .limit(1);
      const tenant = await db
        .select({ cap: tenants.attemptCap, moveState: tenants.moveState, oldest: sql<number | null>`(${oldest})` })
        .from(tenants)
        .where(eq(tenants.id, tenantId))
        .get();
      if (!tenant || tenant.moveState !== null || tenant.cap !== cap || tenant.oldest === null || tenant.oldest > capAt) continue;
      return archiveOnePart(db, archive, tenantId, tenant.oldest, capAt + 1, limit);
    }
    return { deleted: 0, more: false };
  };
}
