import { and, desc, eq, isNotNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { passkeys, recoveryCodes, secondFactors } from "../db/schema";
import { revokeUserSessions } from "../tokens/sessions";
import { recoveryCodesLeft } from "./recovery-codes";
import { forgetRememberedDevices } from "./remembered";

/**
 * An admin's view and reset of a person's second factors (issue 16, point 4). The reset removes every
 * factor, recovery code and remembered device and ends every session, in one batch: whoever holds a
 * session or a device of the person signs in again, and sets a factor up again if the tenant requires one.
 */

export async function factorsOf(db: Database, userId: string) {
  const [others, keys, left] = await Promise.all([
    db
      .select({ type: secondFactors.type, createdAt: secondFactors.createdAt, lastUsedAt: secondFactors.lastUsedAt })
      .from(secondFactors)
      .where(and(eq(secondFactors.userId, userId), isNotNull(secondFactors.confirmedAt)))
      .orderBy(desc(secondFactors.createdAt))
      .all(),
    db
      .select({ id: passkeys.id, name: passkeys.name, createdAt: passkeys.createdAt, lastUsedAt: passkeys.lastUsedAt })
      .from(passkeys)
      .where(eq(passkeys.userId, userId))
      .orderBy(desc(passkeys.createdAt))
      .all(),
    recoveryCodesLeft(db, userId),
  ]);
  return { factors: others, passkeys: keys, recoveryCodesLeft: left };
}

export async function resetFactors(db: Database, userId: string, now = new Date()): Promise<void> {
  await db.batch([
    db.delete(secondFactors).where(eq(secondFactors.userId, userId)),
    db.delete(passkeys).where(eq(passkeys.userId, userId)),
    db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    forgetRememberedDevices(db, userId, now),
    revokeUserSessions(db, userId, { now }),
  ]);
}
