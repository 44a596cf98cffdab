import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { randomSecret, sha256 } from "../crypto/secrets";
import type { Database } from "../db/client";
import { deleteSome, type Pruner } from "../db/prune";
import { rememberedDevices, type Tenant } from "../db/schema";

/**
 * "Remember this device" (rule M): a browser or app that passed the second step may keep a token (256
 * random bits; stored as its SHA-256 so it can be revoked) that skips the step for the tenant's
 * `rememberDays`. Valid only for its person, in its tenant; revoked when the person's factors are reset.
 */

/** A new remembered device for the person; undefined when the tenant remembers none. */
export async function rememberDevice(db: Database, tenant: Tenant, userId: string, now = new Date()): Promise<string | undefined> {
  if (tenant.mfa.rememberDays === 0) return undefined;
  const token = randomSecret();
  await db.insert(rememberedDevices).values({
    tokenHash: await sha256(token),
    tenantId: tenant.id,
    userId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + tenant.mfa.rememberDays * 86_400_000),
  });
  return token;
}

/**
 * Whether `token` remembers this device for the person: theirs, in this tenant, not revoked, within its
 * days and within the tenant's days as they are now (a shortened setting applies at once).
 */
export async function isRemembered(db: Database, tenant: Tenant, userId: string, token: string, now = new Date()): Promise<boolean> {
  if (tenant.mfa.rememberDays === 0) return false;
  const row = await db
    .select({ createdAt: rememberedDevices.createdAt })
    .from(rememberedDevices)
    .where(
      and(
        eq(rememberedDevices.tokenHash, await sha256(token)),
        eq(rememberedDevices.tenantId, tenant.id),
        eq(rememberedDevices.userId, userId),
        isNull(rememberedDevices.revokedAt),
        gt(rememberedDevices.expiresAt, now),
      ),
    )
    .get();
  return row !== undefined && row.createdAt.getTime() + tenant.mfa.rememberDays * 86_400_000 > now.getTime();
}

/** Every device the person's second step remembered is forgotten (their factors were reset). */
export function forgetRememberedDevices(db: Database, userId: string, now = new Date()) {
  return db.update(rememberedDevices).set({ revokedAt: now }).where(and(eq(rememberedDevices.userId, userId), isNull(rememberedDevices.revokedAt)));
}

export const pruneRememberedDevices: Pruner = (db, now, limit) => [
  deleteSome(db, rememberedDevices, lt(rememberedDevices.expiresAt, now), limit),
];
