import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../db/client";
import { deviceClients, sessions, type deviceKinds } from "../db/schema";
import { randomSecret, sha256 } from "../crypto/secrets";

export type DeviceKind = (typeof deviceKinds)[number];
export type DeviceClient = typeof deviceClients.$inferSelect;

/** A device's `last_seen_at` is refreshed at most this often: a polling device would otherwise write on every poll. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

/** Registers a device of the tenant; its secret is returned once and only its SHA-256 kept. */
export async function registerDevice(db: Database, tenantId: string, device: { name: string; kind: DeviceKind }) {
  const clientSecret = randomSecret();
  const [row] = await db
    .insert(deviceClients)
    .values({ id: crypto.randomUUID(), tenantId, ...device, secretHash: await sha256(clientSecret), createdAt: new Date() })
    .returning();
  return { device: row!, clientSecret };
}

/** The tenant's devices, newest first, revoked ones included (an admin sees what was cut off, and when). */
export function listDevices(db: Database, tenantId: string) {
  return db.select().from(deviceClients).where(eq(deviceClients.tenantId, tenantId)).orderBy(desc(deviceClients.createdAt)).all();
}

/**
 * Revokes a device of the tenant and ends every session it holds, in one batch: a revoked device gets
 * nothing more, neither from its credentials nor from a refresh token it kept. False for no such device.
 */
export async function revokeDevice(db: Database, tenantId: string, deviceId: string, now = new Date()): Promise<boolean> {
  const device = await findDevice(db, tenantId, deviceId);
  if (!device) return false;
  await db.batch([
    db.update(deviceClients).set({ revokedAt: now }).where(and(eq(deviceClients.id, deviceId), isNull(deviceClients.revokedAt))),
    db
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.tenantId, tenantId), eq(sessions.clientId, deviceId), isNull(sessions.revokedAt))),
  ]);
  return true;
}

/** A device of this tenant, revoked or not; a device id of another tenant is none. */
export function findDevice(db: Database, tenantId: string, deviceId: string): Promise<DeviceClient | undefined> {
  return db
    .select()
    .from(deviceClients)
    .where(and(eq(deviceClients.id, deviceId), eq(deviceClients.tenantId, tenantId)))
    .get();
}

/** Records that the device authenticated, unless that was recorded within the last minute. */
export function markSeen(db: Database, device: DeviceClient, now = new Date()) {
  return db
    .update(deviceClients)
    .set({ lastSeenAt: now })
    .where(
      and(
        eq(deviceClients.id, device.id),
        or(isNull(deviceClients.lastSeenAt), lt(deviceClients.lastSeenAt, new Date(now.getTime() - LAST_SEEN_GRANULARITY_MS))),
      ),
    );
}
