import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { identitiesColumn, parseIdentities } from "../accounts/queries";
import { sessions, tenants, users } from "../db/schema";

/**
 * Everything rule P checks, in one D1 query: the tenant by its name, the token's session within that
 * tenant, the session's user (who must be the token's subject), and the user's linked providers.
 */
export async function loadPrincipal(db: Database, slug: string, claims: { sid: string; sub: string }) {
  const row = await db
    .select({
      tenant: tenants,
      session: { id: sessions.id, revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt },
      user: users,
      identities: identitiesColumn,
    })
    .from(tenants)
    .leftJoin(sessions, and(eq(sessions.id, claims.sid), eq(sessions.tenantId, tenants.id)))
    .leftJoin(users, and(eq(users.id, sessions.userId), eq(users.id, claims.sub)))
    .where(eq(tenants.slug, slug))
    .get();
  if (!row) return undefined;
  return { ...row, identities: row.user ? parseIdentities(row.identities) : [] };
}
