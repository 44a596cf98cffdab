import { and, eq, exists, gt, inArray, isNotNull, isNull, lt, lte, ne, not, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client";
import type { Write } from "../db/batch";
import { refreshTokens, sessions } from "../db/schema";
import { randomSecret, sha256 } from "../crypto/secrets";
import { deleteSome, type Pruner } from "../db/prune";

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

/** A new opaque refresh token, and the hash it is stored under. */
async function mint() {
  const token = randomSecret();
  return { token, hash: await sha256(token) };
}

/** A new session and its first refresh token; nothing is written until the caller commits `writes`. */
export async function openSession(db: Database, input: NewSession, now = new Date()): Promise<OpenedSession> {
  const { id: sessionId = crypto.randomUUID(), ...session } = input;
  const expiresAt = new Date(now.getTime() + SESSION_MS);
  const first = await mint();
  return {
    sessionId,
    refreshToken: first.token,
    writes: [
      db.insert(sessions).values({ id: sessionId, ...session, createdAt: now, expiresAt }),
      db.insert(refreshTokens).values({ tokenHash: first.hash, sessionId, createdAt: now, expiresAt }),
    ],
  };
}

export interface PresentedRefreshToken {
  token: string;
  tenantId: string;
  clientId: string;
  /** The tenant's `refreshReuseSeconds`: how long an exchanged token may be presented again; 0 = strict. */
  reuseSeconds: number;
}

export type Rotation =
  | { rotated: true; sessionId: string; userId: string; scope: string; refreshToken: string }
  | { rotated: false; reused: boolean };

/** The presented token in the statements below; its parent, siblings and children are `relative` rows. */
const presented = alias(refreshTokens, "presented");
const relative = alias(refreshTokens, "relative");

/**
 * Whether presenting the token is reuse (RFC 9700 §4.14.2): its holder has certainly moved on, so whoever
 * presents it now may be a thief. That is the case once it was exchanged longer ago than the window, or
 * once a token exchanged from it has been used, or one exchanged from its own parent (a sibling: the retry
 * of a lost answer gets one). Any other token of a live session may be exchanged: an unused one, or one
 * exchanged within the window whose children are all unused, which is the app retrying an answer it never
 * received, as FAPI 2.0 (Security Profile §5.3.2.1) requires to succeed.
 */
function isStale(db: Database, reuseSince: Date): SQL {
  const used = (...where: SQL[]) =>
    exists(db.select({ one: sql`1` }).from(relative).where(and(isNotNull(relative.spentAt), ...where)));
  const usedChild = used(eq(relative.parentHash, presented.tokenHash));
  const usedSibling = used(eq(relative.parentHash, presented.parentHash), ne(relative.tokenHash, presented.tokenHash));
  return or(and(isNotNull(presented.spentAt), or(lte(presented.spentAt, reuseSince), usedChild)), usedSibling)!;
}

/**
 * Exchanges a refresh token for a new one, in ONE D1 batch. D1 runs a batch as a transaction: all or
 * nothing, and no other request's statement in between. So a refresh that fails leaves the session's
 * tokens as they were, and one that commits but whose answer is lost leaves the presented token exchanged
 * within its window, where the app's retry succeeds. In order:
 * 1. a stale token (`isStale`) revokes its session, within the tenant;
 * 2. any other unexpired token of a live session of this tenant and client gets a child, a new token whose
 *    `parent_hash` names it. A retry within the window gets another child, a sibling of the first: all of
 *    them work until one of them is used;
 * 3. the presented token is marked spent, unless it already was (the window runs from the first
 *    exchange), only if step 2 inserted this request's child: found by its hash, which only this request
 *    knows (a timestamp would not do: two requests may share a millisecond);
 * 4. the child's session is read back, for the tokens to sign.
 */
export async function rotateRefreshToken(db: Database, token: PresentedRefreshToken, now = new Date()): Promise<Rotation> {
  const hash = await sha256(token.token);
  const child = await mint();
  const stale = isStale(db, new Date(now.getTime() - token.reuseSeconds * 1000));

  const revokeIfStale = db
    .update(sessions)
    .set({ revokedAt: now })
    .where(
      and(
        eq(sessions.tenantId, token.tenantId),
        isNull(sessions.revokedAt),
        inArray(sessions.id, db.select({ id: presented.sessionId }).from(presented).where(and(eq(presented.tokenHash, hash), stale))),
      ),
    )
    .returning({ id: sessions.id });
  const insertChild = db.insert(refreshTokens).select(
    db
      .select({
        tokenHash: sql`${child.hash}`.as("token_hash"),
        sessionId: presented.sessionId,
        createdAt: sql`${now.getTime()}`.as("created_at"),
        expiresAt: sessions.expiresAt,
        spentAt: sql`null`.as("spent_at"),
        parentHash: presented.tokenHash,
      })
      .from(presented)
      .innerJoin(sessions, eq(sessions.id, presented.sessionId))
      .where(
        and(
          eq(presented.tokenHash, hash),
          gt(presented.expiresAt, now),
          not(stale),
          eq(sessions.tenantId, token.tenantId),
          eq(sessions.clientId, token.clientId),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, now),
        ),
      ),
  );
  const spendPresented = db
    .update(refreshTokens)
    .set({ spentAt: now })
    .where(
      and(
        isNull(refreshTokens.spentAt),
        inArray(refreshTokens.tokenHash, db.select({ hash: relative.parentHash }).from(relative).where(eq(relative.tokenHash, child.hash))),
      ),
    );
  const readChild = db
    .select({ sessionId: sessions.id, userId: sessions.userId, scope: sessions.scope })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, child.hash));

  const [revoked, , , [session]] = await db.batch([revokeIfStale, insertChild, spendPresented, readChild]);
  if (!session) return { rotated: false, reused: revoked.length > 0 };
  return { rotated: true, ...session, refreshToken: child.token };
}

export function revokeSession(db: Database, sessionId: string, now = new Date()) {
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** Ends every live session of a user, or every one but `except` (the session changing its password). */
export function revokeUserSessions(db: Database, userId: string, options: { except?: string; onlyIf?: SQL; now?: Date } = {}) {
  const { except, onlyIf, now = new Date() } = options;
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined, onlyIf));
}

/** Ended sessions are kept this long after their expiry, for the admin's and the user's history. */
const ENDED_SESSION_RETENTION_MS = 30 * 24 * 3600_000;

const endedLongAgo = (now: Date) => lt(sessions.expiresAt, new Date(now.getTime() - ENDED_SESSION_RETENTION_MS));

/**
 * The scheduled clean-up's share: sessions ended longer ago than their retention. Each step first deletes
 * up to `limit` of their refresh tokens, then up to `limit` of those sessions with no token left: deleting
 * a session at once would cascade to all of its tokens, however many.
 */
export const pruneEndedSessions: Pruner = (db, now, limit) => [
  deleteSome(
    db,
    refreshTokens,
    inArray(refreshTokens.sessionId, db.select({ id: sessions.id }).from(sessions).where(endedLongAgo(now))),
    limit,
  ),
  deleteSome(
    db,
    sessions,
    and(endedLongAgo(now), not(exists(db.select({ one: sql`1` }).from(refreshTokens).where(eq(refreshTokens.sessionId, sessions.id))))),
    limit,
  ),
];

/** Finds the session a refresh token belongs to, within one tenant (for revocation). */
export async function sessionOfRefreshToken(db: Database, token: string, tenantId: string) {
  return db
    .select({ sessionId: refreshTokens.sessionId })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(and(eq(refreshTokens.tokenHash, await sha256(token)), eq(sessions.tenantId, tenantId)))
    .get();
}
