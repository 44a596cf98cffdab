import { and, eq, or, sql, type SQL } from "drizzle-orm";
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

/** The users a sign-in names: its username or e-mail, in any case (the two never overlap: no `@` in usernames). */
export function byLogin(tenantId: string, login: string): SQL {
  const lowered = login.toLowerCase();
  return and(
    eq(users.tenantId, tenantId),
    or(eq(sql`lower(${users.username})`, lowered), eq(sql`lower(${users.email})`, lowered)),
  )!;
}

/**
 * Counts a password attempt BEFORE the password is checked, as a failure until proven otherwise: one
 * UPDATE that only an unlocked account passes, and that locks the account when it reaches the tenant's
 * limit. However many attempts arrive at once, at most that many passwords are checked per lock; the
 * rest find the account locked (no row returned). A lock that has run out starts the count afresh.
 */
export function reserveAttempt(db: Database, tenant: Tenant, which: SQL, now: Date) {
  const nowMs = now.getTime();
  const unlocked = sql`(${users.lockedUntil} IS NULL OR ${users.lockedUntil} <= ${nowMs})`;
  const lapsed = sql`(${users.lockedUntil} IS NOT NULL AND ${users.lockedUntil} <= ${nowMs})`;
  const attempts = sql`(CASE WHEN ${lapsed} THEN 1 ELSE ${users.failedSignIns} + 1 END)`;
  return db
    .update(users)
    .set({
      failedSignIns: attempts,
      lockedUntil: sql`(CASE WHEN ${attempts} >= ${tenant.lockoutMaxAttempts} THEN ${nowMs + tenant.lockoutSeconds * 1000} ELSE NULL END)`,
    })
    .where(and(which, unlocked))
    .returning({ lockedUntil: users.lockedUntil });
}

/** A correct password gives its reserved attempt back: the count starts again. */
export function clearFailures(db: Database, userId: string) {
  return db.update(users).set({ failedSignIns: 0, lockedUntil: null }).where(eq(users.id, userId));
}
