import { and, gte, isNull, gt, sql, type SQL } from "drizzle-orm";
import { sessions, type Tenant } from "../db/schema";

/** The tenant's session time-outs (its settings `sessionMaxSeconds` and `sessionIdleSeconds`). */
export type SessionTimeouts = Pick<Tenant, "sessionMaxSeconds" | "sessionIdleSeconds">;

/** What of a session its liveness depends on. */
export interface SessionClock {
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date;
}

/**
 * Rule P's verdict on a session: not revoked, not past its own expiry, and within the tenant's time-outs
 * as they are now (a shortened time-out ends older sessions at once): at most `sessionMaxSeconds` since
 * its sign-in, and, when the tenant has an idle time-out, at most `sessionIdleSeconds` since it was last
 * used. Use is recorded by refreshes only (`last_used_at`, written in the rotation's batch): rule P reads
 * once and writes nothing per request, and an app in use refreshes every 10 minutes (the access token's
 * lifetime). A session never refreshed (the console's, the hosted page's) counts its idle time from its
 * sign-in.
 */
export function sessionLive(tenant: SessionTimeouts, session: SessionClock, now: Date): boolean {
  const at = now.getTime();
  if (session.revokedAt !== null || session.expiresAt.getTime() <= at) return false;
  if (at > session.createdAt.getTime() + tenant.sessionMaxSeconds * 1000) return false;
  const lastUse = (session.lastUsedAt ?? session.createdAt).getTime();
  return tenant.sessionIdleSeconds === 0 || at <= lastUse + tenant.sessionIdleSeconds * 1000;
}

/** `sessionLive` as a condition on `sessions` rows, for the statements that change or list live sessions. */
export function liveSessions(tenant: SessionTimeouts, now: Date): SQL {
  const at = now.getTime();
  return and(
    isNull(sessions.revokedAt),
    gt(sessions.expiresAt, now),
    gte(sessions.createdAt, new Date(at - tenant.sessionMaxSeconds * 1000)),
    tenant.sessionIdleSeconds > 0
      ? sql`coalesce(${sessions.lastUsedAt}, ${sessions.createdAt}) >= ${at - tenant.sessionIdleSeconds * 1000}`
      : undefined,
  )!;
}
