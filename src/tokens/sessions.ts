import { and, desc, eq, gt, isNull, lt, ne, notInArray, sql, type SQL } from "drizzle-orm";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { Write } from "../db/batch";
import { deleteSome, type Pruner } from "../db/prune";
import { sessions, type Tenant } from "../db/schema";
import type { RequestMeta } from "../http/request-meta";
import { liveSessions, type SessionTimeouts } from "../policy/session-live";
import { isConfidential } from "./clients";
import type { SigningKeys } from "./keys";
import { mintRefreshToken, readRefreshToken } from "./refresh-token";

export interface NewSession {
  /** Set when the session's id was promised before it opened (an authorization code's). */
  id?: string;
  tenantId: string;
  userId: string;
  clientId: string;
  /** `password` or a provider name. */
  method: string;
  scope: string;
  /** When the person authenticated (the ID token's `auth_time`). */
  authTime: Date;
  /** How the person authenticated (factors/amr.ts): the ID token's `amr`, kept through refreshes. */
  amr: string[];
  /** The tenant's `sessionMaxSeconds` now: the session's `expires_at`, however often it rotates. */
  maxSeconds: number;
  /** Where the sign-in came from, for the person's and the admin's session lists. */
  meta: RequestMeta;
}

export interface OpenedSession {
  sessionId: string;
  refreshToken: string;
  /** The row to write, for the caller's batch. */
  writes: Write[];
}

/** Whether the session `id` was written: for a caller whose write failed, and may yet have committed. */
export async function sessionExists(db: Database, id: string): Promise<boolean> {
  return (await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, id)).get()) !== undefined;
}

/**
 * A new session and its first refresh token (generation 0); nothing is written until the caller commits
 * `writes`. Its `expires_at` is the tenant's lifetime at sign-in: a lifetime shortened later ends it
 * sooner (rule P reads the tenant's setting, session-live.ts), one lengthened later does not extend it,
 * so the clean-up can prune by `expires_at` alone.
 */
export async function openSession(db: Database, keys: SigningKeys, input: NewSession, now = new Date()): Promise<OpenedSession> {
  const { id: sessionId = crypto.randomUUID(), maxSeconds, meta, ...session } = input;
  const expiresAt = new Date(now.getTime() + maxSeconds * 1000);
  return {
    sessionId,
    refreshToken: await mintRefreshToken(keys, input.tenantId, { sessionId, generation: 0 }),
    writes: [db.insert(sessions).values({ id: sessionId, ...session, ip: meta.ip, userAgent: meta.userAgent, createdAt: now, expiresAt })],
  };
}

export interface PresentedRefreshToken {
  token: string;
  tenantId: string;
  clientId: string;
  /** The tenant's `refreshReuseSeconds`: how long an exchanged token may be presented again; 0 = strict. */
  reuseSeconds: number;
  /** The tenant's session time-outs: a session past either is not renewed. */
  timeouts: SessionTimeouts;
}

export type Rotation =
  | { rotated: true; sessionId: string; userId: string; scope: string; authTime: Date; amr: string[] | null; refreshToken: string }
  | { rotated: false; reused: boolean };

/**
 * Exchanges a refresh token for the next generation's, in ONE D1 batch (a transaction: all or nothing,
 * no other request's statement in between). The token names its session and generation `g`, and the
 * session row says which generation is now valid, `current`:
 * - `g = current`: the session moves on to `g + 1` and the answer carries that generation's token;
 * - `g = current - 1`, presented again within the tenant's reuse window since the session moved on: the
 *   app retrying an answer it never received, as FAPI 2.0 (Security Profile §5.3.2.1) requires to work.
 *   It gets the same token as the first answer (tokens are a function of session and generation), and
 *   the window keeps running from that first exchange;
 * - any older generation, or the previous one after the window: reuse (RFC 9700 §4.14.2). Its holder has
 *   certainly moved on, so whoever presents it may be a thief: the session is revoked.
 * A token that this issuer did not mint for this tenant ends nothing. A lost answer leaves the session
 * at `g + 1`, where the app's retry with `g` succeeds within the window. A session past the tenant's
 * time-outs (rule P's `liveSessions`) is not renewed; moving on records `last_used_at`, the idle
 * time-out's clock, in the same statement (the only write of a session's use).
 */
export async function rotateRefreshToken(
  db: Database,
  keys: SigningKeys,
  token: PresentedRefreshToken,
  now = new Date(),
): Promise<Rotation> {
  const claims = await readRefreshToken(keys, token.tenantId, token.token);
  if (!claims) return { rotated: false, reused: false };
  const { sessionId, generation } = claims;
  const ofTenant = and(eq(sessions.id, sessionId), eq(sessions.tenantId, token.tenantId));
  const withinWindow =
    token.reuseSeconds > 0 ? gt(sessions.refreshedAt, new Date(now.getTime() - token.reuseSeconds * 1000)) : sql`0`;
  const retry = and(eq(sessions.refreshGeneration, generation + 1), withinWindow);

  const revokeIfReused = db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(ofTenant, isNull(sessions.revokedAt), gt(sessions.refreshGeneration, generation), sql`not (${retry})`))
    .returning({ id: sessions.id });
  const live = liveSessions(token.timeouts, now);
  const moveOn = db
    .update(sessions)
    .set({ refreshGeneration: generation + 1, refreshedAt: now, lastUsedAt: now })
    .where(and(ofTenant, eq(sessions.clientId, token.clientId), eq(sessions.refreshGeneration, generation), live))
    .returning({ id: sessions.id });
  const readBack = db
    .select({
      userId: sessions.userId,
      scope: sessions.scope,
      authTime: sessions.authTime,
      amr: sessions.amr,
      createdAt: sessions.createdAt,
      retry: sql<number>`${retry}`,
    })
    .from(sessions)
    .where(and(ofTenant, eq(sessions.clientId, token.clientId), live));

  const [revoked, moved, [session]] = await db.batch([revokeIfReused, moveOn, readBack]);
  if (revoked.length > 0) return { rotated: false, reused: true };
  if (!session || (moved.length === 0 && !session.retry)) return { rotated: false, reused: false };
  const refreshToken = await mintRefreshToken(keys, token.tenantId, { sessionId, generation: generation + 1 });
  // A session older than its auth_time column was opened by the sign-in itself.
  const authTime = session.authTime ?? session.createdAt;
  return { rotated: true, sessionId, userId: session.userId, scope: session.scope, authTime, amr: session.amr, refreshToken };
}

/** Ends a session, if it is live (and `onlyIf` holds of it). */
export function revokeSession(db: Database, sessionId: string, now = new Date(), onlyIf?: SQL) {
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt), onlyIf));
}

/**
 * Whose sessions a revocation request may end (RFC 7009 §2.1): the requesting client's own, or, when the
 * request names no client, any but a confidential client's (those authenticate to revoke).
 */
export function revocableBy(config: Config, clientId: string | undefined): SQL | undefined {
  if (clientId !== undefined) return eq(sessions.clientId, clientId);
  const confidential = [...config.clients.values()].filter(isConfidential).map((client) => client.id);
  return confidential.length > 0 ? notInArray(sessions.clientId, confidential) : undefined;
}

/** Ends every live session of a user, or every one but `except` (the session changing its password). */
export function revokeUserSessions(db: Database, userId: string, options: { except?: string; onlyIf?: SQL; now?: Date } = {}) {
  const { except, onlyIf, now = new Date() } = options;
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined, onlyIf));
}

/** The most sessions a list shows: a person's or an admin's view of one user's live sessions, newest first. */
export const SESSION_LIST_LIMIT = 100;

/** A user's live sessions (rule P's verdict, the tenant's time-outs included), newest first, at most SESSION_LIST_LIMIT. */
export async function listLiveSessions(db: Database, tenant: Tenant, userId: string, now = new Date()) {
  return db
    .select({
      id: sessions.id,
      clientId: sessions.clientId,
      method: sessions.method,
      createdAt: sessions.createdAt,
      lastUsedAt: sessions.lastUsedAt,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), eq(sessions.tenantId, tenant.id), liveSessions(tenant, now)))
    .orderBy(desc(sessions.createdAt), desc(sessions.id))
    .limit(SESSION_LIST_LIMIT)
    .all();
}

export type ListedSession = Awaited<ReturnType<typeof listLiveSessions>>[number];

/**
 * Ends one session of a user in a tenant: true if it is theirs (ended now, or already), false if the
 * tenant has no such session of theirs. Idempotent, so a retried request gets the same answer.
 */
export async function endSessionOf(db: Database, tenantId: string, userId: string, sessionId: string, now = new Date()): Promise<boolean> {
  const theirs = and(eq(sessions.id, sessionId), eq(sessions.tenantId, tenantId), eq(sessions.userId, userId));
  const [, [found]] = await db.batch([
    db.update(sessions).set({ revokedAt: now }).where(and(theirs, isNull(sessions.revokedAt))),
    db.select({ id: sessions.id }).from(sessions).where(theirs),
  ]);
  return found !== undefined;
}

/** Ended sessions are kept this long after their expiry, for the admin's and the user's history. */
const ENDED_SESSION_RETENTION_MS = 30 * 24 * 3600_000;

/** The scheduled clean-up's share: sessions ended longer ago than their retention. */
export const pruneEndedSessions: Pruner = (db, now, limit) => [
  deleteSome(db, sessions, lt(sessions.expiresAt, new Date(now.getTime() - ENDED_SESSION_RETENTION_MS)), limit),
];

/**
 * The session a refresh token of any generation names, within one tenant, if this issuer minted it (for
 * revocation, RFC 7009: any of the session's tokens ends it).
 */
export async function sessionOfRefreshToken(keys: SigningKeys, token: string, tenantId: string): Promise<string | undefined> {
  return (await readRefreshToken(keys, tenantId, token))?.sessionId;
}

/** The scope of the session a refresh token names, if this issuer minted the token for this tenant. */
export async function scopeOfRefreshToken(db: Database, keys: SigningKeys, tenantId: string, token: string): Promise<string | undefined> {
  const claims = await readRefreshToken(keys, tenantId, token);
  if (!claims) return undefined;
  const session = await db
    .select({ scope: sessions.scope })
    .from(sessions)
    .where(and(eq(sessions.id, claims.sessionId), eq(sessions.tenantId, tenantId)))
    .get();
  return session?.scope;
}
