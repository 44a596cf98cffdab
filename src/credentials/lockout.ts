import { and, eq, lt, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { unknownLoginFailures, users, type Tenant } from "../db/schema";
import { AppError } from "../http/errors";
import { deleteSome, type Pruner } from "../db/prune";

/**
 * Rule L's counters, as SQL. A known account counts its own failures on its row; a login that names no
 * account counts them in one of a fixed number of buckets of its tenant (login-buckets.ts), so both
 * lock on the same schedule and nothing grows per login typed.
 *
 * A password check holds a slot of the account from before the hash is computed until its outcome is
 * known: at most `maxAttempts − failures` checks run at once, so a burst checks no more wrong passwords
 * than the policy allows, while a correct password gives its slot back and never counts.
 */

/**
 * Slots still held this long after the account's checks began (with none free in between) belong to
 * requests that died (isolate evicted, D1 gone before the slot was given back): they lapse together. The
 * lease runs from when the held slots went from none to some, so steady sign-ins cannot keep renewing a
 * leaked slot.
 */
export const CHECK_LEASE_MS = 30_000;

/** Seconds until a locked account (or bucket) may try again; 0 when it is not locked, or not there. */
export function lockedForSeconds(row: { lockedUntil: Date | null } | undefined, now: Date): number {
  const until = row?.lockedUntil?.getTime() ?? 0;
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}

export function accountLocked(seconds: number): AppError {
  return new AppError("account_locked", {
    detail: `Too many failed attempts: try again in ${seconds} seconds.`,
    headers: { "Retry-After": String(seconds) },
  });
}

/**
 * The one user a login names in a tenant: its username, else its e-mail, in any case. Usernames hold no
 * `@` and every stored e-mail is an address, so the two cannot both match; were they ever to, the
 * username wins, and only that user is counted.
 */
export function userOfLogin(tenantId: string, login: string): SQL {
  const lowered = login.toLowerCase();
  return sql`(SELECT ${users.id} FROM ${users} WHERE ${and(
    eq(users.tenantId, tenantId),
    or(eq(sql`lower(${users.username})`, lowered), eq(sql`lower(${users.email})`, lowered)),
  )} ORDER BY lower(${users.username}) = ${lowered} DESC LIMIT 1)`;
}

const nowMs = (now: Date) => now.getTime();

/** The account's failures, forgetting those of a lock that has run out. */
const failuresNow = (now: Date) =>
  sql`(CASE WHEN ${users.lockedUntil} IS NOT NULL AND ${users.lockedUntil} <= ${nowMs(now)} THEN 0 ELSE ${users.failedSignIns} END)`;

/** The account's slots in use, forgetting them once their lease has lapsed. */
const checksNow = (now: Date) =>
  sql`(CASE WHEN ${users.passwordChecksSince} IS NULL OR ${users.passwordChecksSince} <= ${nowMs(now) - CHECK_LEASE_MS} THEN 0 ELSE ${users.passwordChecksInFlight} END)`;

/**
 * Takes a slot for one password check of `userId`, when the account is not locked and the check could
 * not take it past the limit. Returns the row when taken, nothing when not (locked, or every slot busy).
 */
export function takeCheckSlot(db: Database, tenant: Tenant, userId: SQL | string, now: Date) {
  const unlocked = sql`(${users.lockedUntil} IS NULL OR ${users.lockedUntil} <= ${nowMs(now)})`;
  const room = sql`${failuresNow(now)} + ${checksNow(now)} < ${tenant.lockoutMaxAttempts}`;
  return db
    .update(users)
    .set({
      failedSignIns: failuresNow(now),
      lockedUntil: sql`(CASE WHEN ${unlocked} THEN NULL ELSE ${users.lockedUntil} END)`,
      passwordChecksInFlight: sql`${checksNow(now)} + 1`,
      passwordChecksSince: sql`(CASE WHEN ${checksNow(now)} = 0 THEN ${nowMs(now)} ELSE ${users.passwordChecksSince} END)`,
    })
    .where(and(sql`${users.id} = ${userId}`, unlocked, room))
    .returning({ id: users.id });
}

/** A correct password: its slot is given back, and the count of failures starts again. */
export function settleCorrect(db: Database, userId: string) {
  return db
    .update(users)
    .set({ passwordChecksInFlight: sql`max(${users.passwordChecksInFlight} - 1, 0)`, failedSignIns: 0, lockedUntil: null })
    .where(eq(users.id, userId));
}

/** A wrong password: its slot becomes a failure, and the failure that reaches the limit locks. */
export function settleWrong(db: Database, tenant: Tenant, userId: string, now: Date) {
  const failures = sql`${users.failedSignIns} + 1`;
  return db
    .update(users)
    .set({
      passwordChecksInFlight: sql`max(${users.passwordChecksInFlight} - 1, 0)`,
      failedSignIns: failures,
      lockedUntil: sql`(CASE WHEN ${failures} >= ${tenant.lockoutMaxAttempts} THEN ${nowMs(now) + tenant.lockoutSeconds * 1000} ELSE ${users.lockedUntil} END)`,
    })
    .where(eq(users.id, userId))
    .returning({ lockedUntil: users.lockedUntil });
}

/**
 * A wrong second factor (rule M): a failure of the account like a wrong password (it holds no slot), and
 * the one that reaches the limit locks it. Returns the lock.
 */
export function countWrongSecondFactor(db: Database, tenant: Tenant, userId: string, now: Date) {
  const failures = sql`${failuresNow(now)} + 1`;
  return db
    .update(users)
    .set({
      failedSignIns: failures,
      lockedUntil: sql`(CASE WHEN ${failures} >= ${tenant.lockoutMaxAttempts} THEN ${nowMs(now) + tenant.lockoutSeconds * 1000} ELSE ${users.lockedUntil} END)`,
    })
    .where(eq(users.id, userId))
    .returning({ lockedUntil: users.lockedUntil });
}

/** The check never finished (the database failed): its slot is given back and nothing is counted. */
export function releaseSlot(db: Database, userId: string) {
  return db
    .update(users)
    .set({ passwordChecksInFlight: sql`max(${users.passwordChecksInFlight} - 1, 0)` })
    .where(eq(users.id, userId));
}

/**
 * Counts a failure of a login that names no account, in its bucket, BEFORE the (dummy) hash is checked,
 * like a wrong password of a known one; the failure that reaches the limit locks the bucket. Written only
 * when the login names no account (`unknown`), so a known login never touches a bucket. Returns the
 * bucket's lock when counted, nothing when the bucket was already locked.
 */
export function countUnknownLogin(db: Database, tenant: Tenant, bucket: number, unknown: SQL, now: Date) {
  const t = unknownLoginFailures;
  const lapsed = sql`(${t.lockedUntil} IS NOT NULL AND ${t.lockedUntil} <= ${nowMs(now)})`;
  const failures = sql`(CASE WHEN ${lapsed} THEN 1 ELSE ${t.failures} + 1 END)`;
  const lockAt = (count: SQL | number) =>
    sql`(CASE WHEN ${count} >= ${tenant.lockoutMaxAttempts} THEN ${nowMs(now) + tenant.lockoutSeconds * 1000} ELSE NULL END)`;
  return db
    .insert(t)
    .select(sql`SELECT ${tenant.id}, ${bucket}, 1, ${lockAt(1)}, ${nowMs(now)} WHERE ${unknown}`)
    .onConflictDoUpdate({
      target: [t.tenantId, t.bucket],
      set: { failures, lockedUntil: lockAt(failures), updatedAt: now },
      setWhere: sql`${t.lockedUntil} IS NULL OR ${t.lockedUntil} <= ${nowMs(now)}`,
    })
    .returning({ lockedUntil: t.lockedUntil });
}

/** The bucket's lock, as it stands after the count. */
export function unknownLoginLock(db: Database, tenantId: string, bucket: number) {
  return db
    .select({ lockedUntil: unknownLoginFailures.lockedUntil })
    .from(unknownLoginFailures)
    .where(and(eq(unknownLoginFailures.tenantId, tenantId), eq(unknownLoginFailures.bucket, bucket)));
}

/** Buckets idle for longer than any lockout lasts (a day, the policy's maximum) count nothing any more. */
export const pruneUnknownLoginFailures: Pruner = (db, now, limit) =>
  [deleteSome(db, unknownLoginFailures, lt(unknownLoginFailures.updatedAt, new Date(now.getTime() - 86_400_000)), limit)];
