import { and, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import type { Write } from "../db/batch";
import { refreshTokens, sessions } from "../db/schema";
import { randomSecret, sha256 } from "./random";

/** A session ends 30 days after sign-in at the latest, however often its refresh token rotates. */
export const SESSION_MS = 30 * 24 * 3600_000;

export interface NewSession {
  /** Set when the session's id was promised before it opened (an authorization code's). */
  id?: string;
  tenantId: string;
  userId: string;
  clientId: string;
  /** `password` or a provider name. */
  method: string;
  scope: string;
}

export interface OpenedSession {
  sessionId: string;
  refreshToken: string;
  /** The rows to write, for the caller's batch. */
  writes: Write[];
}

/** A new session and its first refresh token; nothing is written until the caller commits `writes`. */
export async function openSession(db: Database, input: NewSession, now = new Date()): Promise<OpenedSession> {
  const { id: sessionId = crypto.randomUUID(), ...session } = input;
  const expiresAt = new Date(now.getTime() + SESSION_MS);
  const { refreshToken, write } = await newRefreshToken(db, sessionId, expiresAt, now);
  return {
    sessionId,
    refreshToken,
    writes: [db.insert(sessions).values({ id: sessionId, ...session, createdAt: now, expiresAt }), write],
  };
}

async function newRefreshToken(db: Database, sessionId: string, expiresAt: Date, now: Date) {
  const refreshToken = randomSecret();
  const write = db
    .insert(refreshTokens)
    .values({ tokenHash: await sha256(refreshToken), sessionId, createdAt: now, expiresAt });
  return { refreshToken, write };
}

export type Rotation =
  | { rotated: true; sessionId: string; userId: string; scope: string; refreshToken: string }
  | { rotated: false; reused: boolean };

/**
 * Exchanges a refresh token for a new one. The presented token is spent by one conditional UPDATE, so of
 * two concurrent uses only one succeeds. A token that was already spent is a stolen or replayed one:
 * its whole session is revoked (OAuth 2.0 Security BCP, refresh token rotation).
 */
export async function rotateRefreshToken(
  db: Database,
  presented: { token: string; tenantId: string; clientId: string },
  now = new Date(),
): Promise<Rotation> {
  const tokenHash = await sha256(presented.token);
  const liveSession = db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.tenantId, presented.tenantId),
        eq(sessions.clientId, presented.clientId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
      ),
    );
  const spent = await db
    .update(refreshTokens)
    .set({ spentAt: now })
    .where(
      and(
        eq(refreshTokens.tokenHash, tokenHash),
        isNull(refreshTokens.spentAt),
        gt(refreshTokens.expiresAt, now),
        sql`${refreshTokens.sessionId} in ${liveSession}`,
      ),
    )
    .returning({ sessionId: refreshTokens.sessionId })
    .get();

  if (!spent) {
    const known = await db
      .select({ sessionId: refreshTokens.sessionId, spentAt: refreshTokens.spentAt })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(and(eq(refreshTokens.tokenHash, tokenHash), eq(sessions.tenantId, presented.tenantId)))
      .get();
    const reused = Boolean(known?.spentAt);
    if (known && reused) await revokeSession(db, known.sessionId, now);
    return { rotated: false, reused };
  }

  const session = await db
    .select({ userId: sessions.userId, scope: sessions.scope, expiresAt: sessions.expiresAt })
    .from(sessions)
    .where(eq(sessions.id, spent.sessionId))
    .get();
  if (!session) return { rotated: false, reused: false };
  const { refreshToken, write } = await newRefreshToken(db, spent.sessionId, session.expiresAt, now);
  await write;
  return { rotated: true, sessionId: spent.sessionId, userId: session.userId, scope: session.scope, refreshToken };
}

export function revokeSession(db: Database, sessionId: string, now = new Date()) {
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** Ends every live session of a user, or every one but `except` (the session changing its password). */
export function revokeUserSessions(db: Database, userId: string, except?: string, now = new Date()) {
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(
      and(eq(sessions.userId, userId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined),
    );
}

/** Finds the session a refresh token belongs to, within one tenant (for revocation). */
export async function sessionOfRefreshToken(db: Database, token: string, tenantId: string) {
  return db
    .select({ sessionId: refreshTokens.sessionId })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(and(eq(refreshTokens.tokenHash, await sha256(token)), eq(sessions.tenantId, tenantId)))
    .get();
}
