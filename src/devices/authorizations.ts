import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { deleteSome, type Pruner } from "../db/prune";
import { deviceAuthorizations, deviceClients, type Tenant } from "../db/schema";
import { isUniqueViolation } from "../db/errors";
import { randomSecret, sha256 } from "../crypto/secrets";
import { newUserCode, userCodeHash } from "./user-codes";

/** RFC 8628 §3.2: the seconds a device waits between polls, until it is told to slow down. */
const POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: what each slow_down adds to the interval, for this and every later poll. */
const SLOW_DOWN_SECONDS = 5;
/**
 * An expired authorization is kept this long, so that a device still polling hears expired_token rather
 * than invalid_grant; then the scheduled clean-up deletes it.
 */
const EXPIRED_RETENTION_MS = 3600_000;
/** A new user code colliding with a live one is drawn again; this many collisions in a row is a fault. */
const USER_CODE_ATTEMPTS = 3;

type DeviceAuthorization = typeof deviceAuthorizations.$inferSelect;

/** Starts an authorization for the device: its codes in clear, once; only their hashes are kept. */
export async function startAuthorization(db: Database, tenant: Tenant, deviceClientId: string, scope: string, now = new Date()) {
  const deviceCode = randomSecret();
  const deviceCodeHash = await sha256(deviceCode);
  for (let attempt = 1; ; attempt++) {
    const userCode = newUserCode();
    try {
      await db.insert(deviceAuthorizations).values({
        deviceCodeHash,
        userCodeHash: await userCodeHash(tenant.id, userCode),
        tenantId: tenant.id,
        deviceClientId,
        scope,
        status: "pending",
        interval: POLL_INTERVAL_SECONDS,
        createdAt: now,
        expiresAt: new Date(now.getTime() + tenant.deviceCodeSeconds * 1000),
      });
      return { deviceCode, userCode, expiresIn: tenant.deviceCodeSeconds, interval: POLL_INTERVAL_SECONDS };
    } catch (error) {
      if (!isUniqueViolation(error) || attempt === USER_CODE_ATTEMPTS) throw error;
    }
  }
}

/** What a poll of the token endpoint finds (RFC 8628 §3.5), and for `approved` the authorization it spent. */
export type PollVerdict =
  | { verdict: "approved"; authorization: DeviceAuthorization & { userId: string } }
  | { verdict: "authorization_pending" | "slow_down" | "access_denied" | "expired_token" | "invalid_grant" };

/**
 * A poll by the device that holds `deviceCode`: an unknown code, one of another device or tenant, or one
 * already spent is `invalid_grant`; then expiry, then the pace (a poll sooner than the interval since the
 * last one is `slow_down`, and the interval grows by 5 s for good); then the person's decision. An
 * approval is spent by the poll that collects it, by a conditional write, so that two polls at once
 * cannot both collect tokens.
 */
export async function pollAuthorization(db: Database, tenantId: string, deviceClientId: string, deviceCode: string, now = new Date()): Promise<PollVerdict> {
  const deviceCodeHash = await sha256(deviceCode);
  const ours = and(
    eq(deviceAuthorizations.deviceCodeHash, deviceCodeHash),
    eq(deviceAuthorizations.tenantId, tenantId),
    eq(deviceAuthorizations.deviceClientId, deviceClientId),
  );
  const found = await db.select().from(deviceAuthorizations).where(ours).get();
  if (!found || found.status === "used") return { verdict: "invalid_grant" };
  if (found.expiresAt.getTime() <= now.getTime()) return { verdict: "expired_token" };
  if (found.lastPolledAt && now.getTime() - found.lastPolledAt.getTime() < found.interval * 1000) {
    await db
      .update(deviceAuthorizations)
      .set({ lastPolledAt: now, interval: sql`${deviceAuthorizations.interval} + ${SLOW_DOWN_SECONDS}` })
      .where(ours);
    return { verdict: "slow_down" };
  }
  if (found.status !== "approved") {
    await db.update(deviceAuthorizations).set({ lastPolledAt: now }).where(ours);
    return { verdict: found.status === "denied" ? "access_denied" : "authorization_pending" };
  }
  const spent = await db
    .update(deviceAuthorizations)
    .set({ status: "used", lastPolledAt: now })
    .where(and(ours, eq(deviceAuthorizations.status, "approved")))
    .returning()
    .get();
  return spent?.userId ? { verdict: "approved", authorization: { ...spent, userId: spent.userId } } : { verdict: "invalid_grant" };
}

/** The device behind a live, undecided user code of the tenant, whose device is not revoked; else none. */
export async function pendingDevice(db: Database, tenantId: string, userCode: string, now = new Date()) {
  return db
    .select({ name: deviceClients.name, kind: deviceClients.kind })
    .from(deviceAuthorizations)
    .innerJoin(deviceClients, eq(deviceClients.id, deviceAuthorizations.deviceClientId))
    .where(
      and(
        eq(deviceAuthorizations.userCodeHash, await userCodeHash(tenantId, userCode)),
        eq(deviceAuthorizations.tenantId, tenantId),
        eq(deviceAuthorizations.status, "pending"),
        gt(deviceAuthorizations.expiresAt, now),
        isNull(deviceClients.revokedAt),
      ),
    )
    .get();
}

/**
 * The person's decision on a user code of the tenant: approved for `userId`, or denied. Only a live,
 * undecided code of a device that is not revoked can be decided, once; the device's name and kind are
 * answered, or none when there was nothing to decide (unknown, expired, decided: alike).
 */
export async function decideAuthorization(
  db: Database,
  tenantId: string,
  userCode: string,
  decision: { approve: true; userId: string; amr: string[] } | { approve: false },
  now = new Date(),
) {
  const device = await pendingDevice(db, tenantId, userCode, now);
  if (!device) return undefined;
  const hash = await userCodeHash(tenantId, userCode);
  const decided = await db
    .update(deviceAuthorizations)
    .set(decision.approve ? { status: "approved", userId: decision.userId, amr: decision.amr } : { status: "denied" })
    .where(
      and(
        eq(deviceAuthorizations.userCodeHash, hash),
        eq(deviceAuthorizations.tenantId, tenantId),
        eq(deviceAuthorizations.status, "pending"),
        gt(deviceAuthorizations.expiresAt, now),
      ),
    )
    .returning({ deviceClientId: deviceAuthorizations.deviceClientId })
    .get();
  return decided ? device : undefined;
}

/** The scheduled clean-up's share: authorizations expired longer ago than their retention, spent or not. */
export const pruneDeviceAuthorizations: Pruner = (db, now, limit) => [
  deleteSome(db, deviceAuthorizations, lt(deviceAuthorizations.expiresAt, new Date(now.getTime() - EXPIRED_RETENTION_MS)), limit),
];
