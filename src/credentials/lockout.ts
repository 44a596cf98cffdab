import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { users, type Tenant, type User } from "../db/schema";
import { AppError } from "../http/errors";

/** Seconds until a locked account may try again; 0 when it is not locked. */
export function lockedForSeconds(user: Pick<User, "lockedUntil">, now: Date): number {
  const until = user.lockedUntil?.getTime() ?? 0;
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}

export function accountLocked(seconds: number): AppError {
  return new AppError("account_locked", {
    detail: `Too many failed attempts: try again in ${seconds} seconds`,
    headers: { "Retry-After": String(seconds) },
  });
}

/**
 * Counts one failed password for a user and locks the account when the tenant's limit is reached. One
 * UPDATE computes the new count from the stored one, so concurrent failures are all counted (no read,
 * then write). A lock that has run out starts the count afresh.
 */
export function countFailure(db: Database, tenant: Tenant, userId: string, now: Date) {
  const nowMs = now.getTime();
  const lapsed = sql`(${users.lockedUntil} IS NOT NULL AND ${users.lockedUntil} <= ${nowMs})`;
  const failures = sql`(CASE WHEN ${lapsed} THEN 1 ELSE ${users.failedSignIns} + 1 END)`;
  return db
    .update(users)
    .set({
      failedSignIns: failures,
      lockedUntil: sql`(CASE
        WHEN ${failures} >= ${tenant.lockoutMaxAttempts} THEN ${nowMs + tenant.lockoutSeconds * 1000}
        WHEN ${lapsed} THEN NULL
        ELSE ${users.lockedUntil} END)`,
    })
    .where(eq(users.id, userId))
    .returning({ lockedUntil: users.lockedUntil });
}

/** After a correct password the count starts again; a write only when there is something to clear. */
export function clearFailures(db: Database, user: User) {
  return user.failedSignIns === 0 && user.lockedUntil === null
    ? undefined
    : db.update(users).set({ failedSignIns: 0, lockedUntil: null }).where(eq(users.id, user.id));
}
