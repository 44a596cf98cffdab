import { and, count, eq, isNull } from "drizzle-orm";
import { lookupKeyOf } from "../crypto/lookup-key";
import { randomFrom } from "../crypto/secrets";
import type { Database } from "../db/client";
import { recoveryCodes } from "../db/schema";

/**
 * Recovery codes (issue 16): ten per person, for the day their other factors are out of reach. Each is 10
 * characters of an alphabet without look-alikes (50 bits), shown once as `xxxxx-xxxxx`, kept only as a
 * keyed hash, and works once. A new set replaces the old one whole.
 */

export const RECOVERY_CODES = 10;
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no i, l, o, 0, 1
const LENGTH = 10;

function newCode(): string {
  const code = randomFrom(ALPHABET, LENGTH);
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** A code as typed: case, spaces and dashes do not matter. */
const normalised = (code: string) => code.toLowerCase().replace(/[\s-]/g, "");

const hashOf = (key: CryptoKey, tenantId: string, code: string) => lookupKeyOf(key, tenantId, "recovery", normalised(code));

/** A new set of codes for the person, replacing theirs in one batch; answered this once. */
export async function replaceRecoveryCodes(db: Database, key: CryptoKey, tenantId: string, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, newCode);
  const now = new Date();
  const rows = await Promise.all(codes.map(async (code) => ({ codeHash: await hashOf(key, tenantId, code), tenantId, userId, createdAt: now })));
  await db.batch([db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)), db.insert(recoveryCodes).values(rows)]);
  return codes;
}

/** Spends one of the person's unused codes (one conditional UPDATE: a code works once). True when it did. */
export async function useRecoveryCode(db: Database, key: CryptoKey, tenantId: string, userId: string, code: string): Promise<boolean> {
  if (normalised(code).length !== LENGTH) return false;
  const spent = await db
    .update(recoveryCodes)
    .set({ usedAt: new Date() })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, await hashOf(key, tenantId, code)), isNull(recoveryCodes.usedAt)))
    .returning({ userId: recoveryCodes.userId });
  return spent.length > 0;
}

/** How many of the person's codes are left. */
export async function recoveryCodesLeft(db: Database, userId: string): Promise<number> {
  const [row] = await db.select({ left: count() }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.left ?? 0;
}
