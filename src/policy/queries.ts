import { and, eq, getTableColumns, gt, isNull, sql } from "drizzle-orm";
import { preparedPerHandle, type Database } from "../db/client";
import { identitiesColumn, parseIdentities } from "../accounts/queries";
import { sessions, tenants, users } from "../db/schema";

/**
 * How a request names its session: an access token's claims, or what a console cookie's refresh token
 * says (its session and generation; the caller checks the token itself once the tenant is known).
 */
export type SessionKey =
  | { sid: string; sub: string }
  | { sessionId: string; generation: number; clientId: string; openedAfter: Date; now: Date };

/** The user as an authenticated request sees them (UserProfile): each column read costs every request. */
const {
  passwordHash,
  failedSignIns,
  lockedUntil,
  passwordChecksInFlight,
  passwordChecksSince,
  createdVia,
  createdAt,
  updatedAt,
  ...principalUserColumns
} = getTableColumns(users);

/** What rule P reads: the tenant, the session, its user and the user's linked providers. */
function selectPrincipal(db: Database) {
  return db
    .select({
      tenant: tenants,
      session: {
        id: sessions.id,
        clientId: sessions.clientId,
        revokedAt: sessions.revokedAt,
        expiresAt: sessions.expiresAt,
        createdAt: sessions.createdAt,
        lastUsedAt: sessions.lastUsedAt,
        method: sessions.method,
        amr: sessions.amr,
      },
      user: principalUserColumns,
      identities: identitiesColumn,
    })
    .from(tenants);
}

/**
 * For an access token: the token's session within the tenant, and its user, who must be the token's
 * subject (whether the session has ended is the caller's to tell: requireUser, by sessionLive). Every
 * authenticated API request runs it, so it is prepared once per database handle: drizzle then builds its
 * SQL once, not on every request.
 */
const byAccessToken = preparedPerHandle((db) =>
  selectPrincipal(db)
    .leftJoin(sessions, and(eq(sessions.id, sql.placeholder("sid")), eq(sessions.tenantId, tenants.id)))
    .leftJoin(users, and(eq(users.id, sessions.userId), eq(users.id, sql.placeholder("sub"))))
    .where(eq(tenants.slug, sql.placeholder("slug")))
    .prepare(),
);

/**
 * For a console cookie: the session it names, at the generation it names (a token of an older one is
 * spent), a session of that client within the tenant, neither revoked nor expired, opened after
 * `openedAfter`, and its user (the tenant's time-outs are the caller's to apply: sessionLive).
 */
function byRefreshToken(db: Database, slug: string, key: Extract<SessionKey, { generation: number }>) {
  const { sessionId, generation, clientId, openedAfter, now } = key;
  return selectPrincipal(db)
    .leftJoin(
      sessions,
      and(
        eq(sessions.id, sessionId),
        eq(sessions.tenantId, tenants.id),
        eq(sessions.clientId, clientId),
        eq(sessions.refreshGeneration, generation),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        gt(sessions.createdAt, openedAfter),
      ),
    )
    .leftJoin(users, and(eq(users.id, sessions.userId), eq(users.tenantId, tenants.id)))
    .where(eq(tenants.slug, slug))
    .get();
}

/**
 * Everything rule P checks, in one D1 query, for the API (requireUser) and the console alike: the tenant
 * by its name, the key's session within that tenant, the session's user, and the user's linked providers.
 */
export async function loadPrincipal(db: Database, slug: string, key: SessionKey) {
  const row = "sid" in key ? await byAccessToken(db).get({ slug, sid: key.sid, sub: key.sub }) : await byRefreshToken(db, slug, key);
  if (!row) return undefined;
  return { ...row, identities: row.user ? parseIdentities(row.identities) : [] };
}
