import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { deviceClients, sessions, type deviceKinds } from "../db/schema";
import { randomSecret, sha256 } from "../crypto/secrets";
import type { DeviceJwks } from "./device-keys";

export type DeviceKind = (typeof deviceKinds)[number];

/** The longest device name: what the person approving sees, and what the attempts record as its login. */
export const MAX_DEVICE_NAME_LENGTH = 100;
export type DeviceClient = typeof deviceClients.$inferSelect;

/** A device's `last_seen_at` is refreshed at most this often: a polling device would otherwise write on every poll. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

/** A device that authenticates with `private_key_jwt` (client-assertions.ts): it has public keys, and no secret. */
export type KeyDevice = DeviceClient & { jwks: NonNullable<DeviceClient["jwks"]> };

/** How a device proves itself at the token endpoint: its secret, or an assertion signed with its key. */
export const deviceAuthMethods = ["client_secret", "private_key_jwt"] as const;
export type DeviceAuthMethod = (typeof deviceAuthMethods)[number];

/**
 * The `secret_hash` of a device without a secret: no SHA-256 is empty, so no secret ever matches it
 * (client-auth.ts does not even try one for such a device).
 */
const NO_SECRET = "";

/** Whether the device was registered with public keys (then it has no secret). */
export function hasKeys(device: DeviceClient): device is KeyDevice {
  return device.jwks !== null;
}

/** What the admin listing says of how the device authenticates. */
export function authMethodOf(device: DeviceClient): DeviceAuthMethod {
  return hasKeys(device) ? "private_key_jwt" : "client_secret";
}

async function insertDevice(db: Database, tenantId: string, device: Pick<DeviceClient, "name" | "kind" | "secretHash" | "jwks">) {
  const [row] = await db
    .insert(deviceClients)
    .values({ id: crypto.randomUUID(), tenantId, ...device, createdAt: new Date() })
    .returning();
  return row!;
}

/** Registers a device of the tenant; its secret is returned once and only its SHA-256 kept. */
export async function registerDevice(db: Database, tenantId: string, { name, kind }: { name: string; kind: DeviceKind }) {
  const clientSecret = randomSecret();
  const device = await insertDevice(db, tenantId, { name, kind, secretHash: await sha256(clientSecret), jwks: null });
  return { device, clientSecret };
}

/**
 * Registers a device of the tenant that authenticates with `private_key_jwt`: printid keeps its public
 * keys (checked by device-keys.ts) and it gets no secret at all.
 */
export async function registerDeviceWithKeys(
  db: Database,
  tenantId: string,
  { name, kind, jwks }: { name: string; kind: DeviceKind; jwks: DeviceJwks },
) {
  return { device: await insertDevice(db, tenantId, { name, kind, secretHash: NO_SECRET, jwks }) };
}

/** Where a page of devices resumes: after the last one of the previous page. */
export interface DevicePosition {
  createdAt: number;
  id: string;
}

/**
 * A page of the tenant's devices, newest first, revoked ones included (an admin sees what was cut off,
 * and when): `limit` of them after `after`, read through `device_clients_tenant` without sorting (a row
 * value, as the users' list does).
 */
export function listDevices(db: Database, tenantId: string, page: { limit: number; after?: DevicePosition }) {
  const after = page.after && sql`(${deviceClients.createdAt}, ${deviceClients.id}) < (${page.after.createdAt}, ${page.after.id})`;
  return db
    .select()
    .from(deviceClients)
    .where(and(eq(deviceClients.tenantId, tenantId), after))
    .orderBy(desc(deviceClients.createdAt), desc(deviceClients.id))
    .limit(page.limit)
    .all();
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
