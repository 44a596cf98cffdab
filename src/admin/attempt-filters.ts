import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { listAttempts } from "../audit/attempts";
import { userOfLogin } from "../credentials/lockout";
import { signInAttempts } from "../db/schema";

export type AttemptOutcome = "success" | "failure";

export interface AttemptFilter {
  /**
   * Only the attempts that resolved to this user: by id (the record outlives the user), or by a username
   * or e-mail, resolved as sign-in resolves it.
   */
  user?: { id: string } | { login: string };
  outcome?: AttemptOutcome;
  limit: number;
  /** Resume below this attempt id (newest first). */
  before?: number;
  /** How many of the tenant's attempts a filtered page reads at most (ATTEMPT_FILTER_WINDOW; smaller in tests). */
  window?: number;
}

/**
 * A filtered page reads at most this many of the tenant's attempts, newest first, and says where to
 * resume: no index leads to one user's attempts or to the failures, and a tenant keeps up to its cap
 * (a million by default), so a filter that matches little must not read them all in one request. The
 * same bound as the user list's (accounts/queries.ts FILTER_WINDOW), for the same reason.
 */
export const ATTEMPT_FILTER_WINDOW = 5_000;

export interface AttemptListing {
  items: (typeof signInAttempts.$inferSelect)[];
  /** The `before` of the next page; null when there is no more. */
  resumeBefore: number | null;
}

/**
 * The admin's audit list (rule L), filtered by user and outcome: newest first, through the
 * `sign_in_attempts_tenant_id` index, each filtered page within a window of the tenant's attempts.
 * Unfiltered, it is the admin API's own list (audit/attempts.ts listAttempts), page for page.
 */
export async function listAttemptsFiltered(db: Database, tenantId: string, filter: AttemptFilter): Promise<AttemptListing> {
  const { user } = filter;
  if (user === undefined && filter.outcome === undefined) {
    const rows = await listAttempts(db, tenantId, { limit: filter.limit + 1, before: filter.before });
    const items = rows.slice(0, filter.limit);
    return { items, resumeBefore: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
  }
  const below = filter.before === undefined ? undefined : lt(signInAttempts.id, filter.before);
  // The last attempt of this page's window: the filters look at the attempts from `before` down to it.
  const windowEnd = db
    .select({ id: signInAttempts.id })
    .from(signInAttempts)
    .where(and(eq(signInAttempts.tenantId, tenantId), below))
    .orderBy(desc(signInAttempts.id))
    .limit(1)
    .offset((filter.window ?? ATTEMPT_FILTER_WINDOW) - 1);
  const list = db
    .select()
    .from(signInAttempts)
    .where(
      and(
        eq(signInAttempts.tenantId, tenantId),
        below,
        user === undefined ? undefined : eq(signInAttempts.userId, "id" in user ? user.id : userOfLogin(tenantId, user.login)),
        filter.outcome === undefined ? undefined : eq(signInAttempts.success, filter.outcome === "success"),
        // drizzle puts a subquery in parentheses itself.
        sql`(NOT EXISTS ${windowEnd} OR ${signInAttempts.id} >= ${windowEnd})`,
      ),
    )
    .orderBy(desc(signInAttempts.id))
    .limit(filter.limit + 1);
  const [rows, [end]] = await db.batch([list, windowEnd]);
  const items = rows.slice(0, filter.limit);
  const last = items.at(-1);
  if (rows.length > filter.limit && last) return { items, resumeBefore: last.id };
  // The window is read and the page is not full: the tenant's older attempts are the next page's.
  return { items, resumeBefore: end?.id ?? null };
}
