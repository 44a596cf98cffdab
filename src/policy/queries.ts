import { and, eq, gt, inArray, isNull, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { identitiesColumn, parseIdentities } from "../accounts/queries";
import { refreshTokens, sessions, tenants, users } from "../db/schema";

/** How a request names its session: an access token's claims, or a console cookie's refresh token. */
export type SessionKey =
  | { sid: string; sub: string }
  | { refreshTokenHash: string; clientId: string; openedAfter: Date; now: Date };

/**
 * The session a key names, within the tenant. A refresh token names its session only while unspent and
 * unexpired, and only a live session of that client opened after `openedAfter`; an access token's
 * session is checked by the caller (requireUser), which tells an ended session from a wrong one.
 */
function sessionMatch(db: Database, key: SessionKey): SQL | undefined {
  if ("sid" in key) return and(eq(sessions.id, key.sid), eq(sessions.tenantId, tenants.id));
  const { refreshTokenHash, clientId, openedAfter, now } = key;
  const ofToken = and(eq(refreshTokens.tokenHash, refreshTokenHash), isNull(refreshTokens.spentAt), gt(refreshTokens.expiresAt, now));
  return and(
    eq(sessions.tenantId, tenants.id),
    eq(sessions.clientId, clientId),
    isNull(sessions.revokedAt),
    gt(sessions.expiresAt, now),
    gt(sessions.createdAt, openedAfter),
    inArray(sessions.id, db.select({ id: refreshTokens.sessionId }).from(refreshTokens).where(ofToken)),
  );
}

/**
 * Everything rule P checks, in one D1 query, for the API (requireUser) and the console alike: the tenant
 * by its name, the key's session within that tenant, the session's user (for an access token, the
 * token's subject), and the user's linked providers.
 */
export async function loadPrincipal(db: Database, slug: string, key: SessionKey) {
  const row = await db
    .select({
      tenant: tenants,
      session: { id: sessions.id, revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt },
      user: users,
      identities: identitiesColumn,
    })
    .from(tenants)
    .leftJoin(sessions, sessionMatch(db, key))
    .leftJoin(users, and(eq(users.id, sessions.userId), "sub" in key ? eq(users.id, key.sub) : eq(users.tenantId, tenants.id)))
    .where(eq(tenants.slug, slug))
    .get();
  if (!row) return undefined;
  return { ...row, identities: row.user ? parseIdentities(row.identities) : [] };
}
