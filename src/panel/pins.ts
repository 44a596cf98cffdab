import { and, eq, gte, sql } from "drizzle-orm";
import { hashPassword } from "../credentials/password";
import { lookupKeyOf } from "../crypto/lookup-key";
import type { Database } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { userPins, type Tenant } from "../db/schema";
import { newPinLength, randomPin } from "./pin-numbers";

/**
 * The tenant's PINs (rule D): one per person, unique within the tenant, found by a keyed hash and checked
 * with Argon2id. The unique index on (tenant, lookup key) is what makes PINs unique: two people given the
 * same number at the same time cannot both store it, and the second simply draws again.
 */

/** Draws again after this many numbers already taken in a row: with PINs never denser than 1 %, only a fault gets here. */
const MAX_DRAWS = 20;

/** How many PINs the tenant holds per length, from the policy's minimum up (through `user_pins_tenant_length`). */
async function pinsPerLength(db: Database, tenant: Tenant): Promise<Map<number, number>> {
  const rows = await db
    .select({ length: userPins.length, count: sql<number>`count(*)` })
    .from(userPins)
    .where(and(eq(userPins.tenantId, tenant.id), gte(userPins.length, tenant.panel.pin.minLength)))
    .groupBy(userPins.length)
    .all();
  return new Map(rows.map((row) => [row.length, row.count]));
}

/**
 * Gives the person a new PIN, replacing theirs if they had one, and returns it: the only time it exists
 * in clear. Its length is the policy's, or longer once the tenant's PINs of that length are dense.
 */
export async function issuePin(db: Database, key: CryptoKey, tenant: Tenant, userId: string): Promise<string> {
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const pin = randomPin(newPinLength(tenant.panel.pin.minLength, await pinsPerLength(db, tenant)));
    const row = {
      userId,
      tenantId: tenant.id,
      lookupKey: await lookupKeyOf(key, tenant.id, "pin", pin),
      pinHash: await hashPassword(pin),
      length: pin.length,
      createdAt: new Date(),
    };
    try {
      // One batch: the old PIN goes only if the new one is stored.
      await db.batch([db.delete(userPins).where(eq(userPins.userId, userId)), db.insert(userPins).values(row)]);
      return pin;
    } catch (error) {
      // Somebody of the tenant holds this number (SQLite names the index's first column): draw another.
      if (uniqueViolation(error) !== "user_pins.tenant_id") throw error;
    }
  }
  throw new Error(`no free PIN found for tenant ${tenant.id} in ${MAX_DRAWS} draws`);
}

/** The PIN's holder in the tenant, with the hash to check it against; nothing when nobody holds it. */
export async function findPin(db: Database, key: CryptoKey, tenant: Tenant, pin: string) {
  return db
    .select({ userId: userPins.userId, pinHash: userPins.pinHash })
    .from(userPins)
    .where(and(eq(userPins.tenantId, tenant.id), eq(userPins.lookupKey, await lookupKeyOf(key, tenant.id, "pin", pin))))
    .get();
}

/** The person's PIN hash, to check the PIN typed after their card; nothing when they have none. */
export async function pinHashOf(db: Database, userId: string): Promise<string | undefined> {
  const row = await db.select({ pinHash: userPins.pinHash }).from(userPins).where(eq(userPins.userId, userId)).get();
  return row?.pinHash;
}
