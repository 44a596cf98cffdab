import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { deviceClients, idCards, type Tenant } from "../db/schema";

/**
 * Rule L at the panel, on the tenant's lockout policy (`maxAttempts` failures lock for `lockoutSeconds`):
 * - a device counts every failure at it (unknown PIN, unknown card, wrong PIN) within a window of the
 *   lockout time, and a success does not clear them: somebody guessing PINs cannot reset the count by
 *   signing in with their own between guesses;
 * - a card counts the wrong PINs typed after it, until its holder's right one, like an account.
 * Each try is counted BEFORE the credential is checked and given back when it was right, so a burst of
 * concurrent tries checks no more credentials than the policy allows.
 */

const at = (now: Date) => now.getTime();
const unlocked = (lockedUntil: typeof deviceClients.lockedUntil | typeof idCards.lockedUntil, now: Date) =>
  sql`(${lockedUntil} IS NULL OR ${lockedUntil} <= ${at(now)})`;
const lockIfReached = (failures: unknown, lockedUntil: unknown, tenant: Tenant, now: Date) =>
  sql`(CASE WHEN ${failures} >= ${tenant.lockoutMaxAttempts} THEN ${at(now) + tenant.lockoutSeconds * 1000} ELSE ${lockedUntil} END)`;

/** The device's failures still inside their window. */
const deviceFailuresNow = (tenant: Tenant, now: Date) =>
  sql`(CASE WHEN ${deviceClients.failuresSince} IS NULL OR ${deviceClients.failuresSince} <= ${at(now) - tenant.lockoutSeconds * 1000} THEN 0 ELSE ${deviceClients.failedSignIns} END)`;

/** Counts a try at the device; nothing returned when it is locked or its tries are all taken. */
export function takeDeviceTry(db: Database, tenant: Tenant, deviceId: string, now: Date) {
  const failures = deviceFailuresNow(tenant, now);
  return db
    .update(deviceClients)
    .set({
      failedSignIns: sql`${failures} + 1`,
      failuresSince: sql`(CASE WHEN ${failures} = 0 THEN ${at(now)} ELSE ${deviceClients.failuresSince} END)`,
    })
    .where(and(eq(deviceClients.id, deviceId), unlocked(deviceClients.lockedUntil, now), sql`${failures} < ${tenant.lockoutMaxAttempts}`))
    .returning({ id: deviceClients.id });
}

/** The try was right: it is given back. */
export function giveDeviceTryBack(db: Database, deviceId: string) {
  return db
    .update(deviceClients)
    .set({ failedSignIns: sql`max(${deviceClients.failedSignIns} - 1, 0)` })
    .where(eq(deviceClients.id, deviceId));
}

/** The try failed: it stays counted, and the failure that reaches the limit locks the device. */
export function settleDeviceFailure(db: Database, tenant: Tenant, deviceId: string, now: Date) {
  return db
    .update(deviceClients)
    .set({ lockedUntil: lockIfReached(deviceClients.failedSignIns, deviceClients.lockedUntil, tenant, now) })
    .where(eq(deviceClients.id, deviceId));
}

/** The card's wrong PINs, forgetting those of a lock that has run out. */
const cardFailuresNow = (now: Date) =>
  sql`(CASE WHEN ${idCards.lockedUntil} IS NOT NULL AND ${idCards.lockedUntil} <= ${at(now)} THEN 0 ELSE ${idCards.failedSignIns} END)`;

/** Counts a PIN typed after the card; nothing returned when the card is locked or its tries are all taken. */
export function takeCardTry(db: Database, tenant: Tenant, cardId: string, now: Date) {
  const failures = cardFailuresNow(now);
  return db
    .update(idCards)
    .set({ failedSignIns: sql`${failures} + 1`, lockedUntil: sql`(CASE WHEN ${unlocked(idCards.lockedUntil, now)} THEN NULL ELSE ${idCards.lockedUntil} END)` })
    .where(and(eq(idCards.id, cardId), unlocked(idCards.lockedUntil, now), sql`${failures} < ${tenant.lockoutMaxAttempts}`))
    .returning({ id: idCards.id });
}

/** The holder's PIN: the card's count starts again, and its use is recorded. */
export function settleCardRight(db: Database, cardId: string, now: Date) {
  return db.update(idCards).set({ failedSignIns: 0, lockedUntil: null, lastUsedAt: now }).where(eq(idCards.id, cardId));
}

/** A wrong PIN after the card: counted, and the one that reaches the limit locks the card. */
export function settleCardWrong(db: Database, tenant: Tenant, cardId: string, now: Date) {
  return db
    .update(idCards)
    .set({ lockedUntil: lockIfReached(idCards.failedSignIns, idCards.lockedUntil, tenant, now) })
    .where(eq(idCards.id, cardId));
}
