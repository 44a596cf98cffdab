import { lt } from "drizzle-orm";
import { pruneAttempts } from "./audit/attempts";
import { pruneUnknownLoginFailures } from "./credentials/lockout";
import { pruneUsedIdTokens } from "./federation/used-id-tokens";
import { commit } from "./db/batch";
import type { Database } from "./db/client";
import { authorizationCodes, oauthFlows, sessions } from "./db/schema";

/** Ended sessions are kept this long after their expiry, for the admin's and the user's history. */
const ENDED_SESSION_RETENTION_MS = 30 * 24 * 3600_000;

/** The daily clean-up (wrangler.toml `triggers.crons`): what has outlived its retention bound goes. */
export async function prune(db: Database, now = new Date()): Promise<void> {
  await commit(db, [
    pruneAttempts(db, now),
    db.delete(authorizationCodes).where(lt(authorizationCodes.expiresAt, now)),
    db.delete(oauthFlows).where(lt(oauthFlows.expiresAt, now)),
    db.delete(sessions).where(lt(sessions.expiresAt, new Date(now.getTime() - ENDED_SESSION_RETENTION_MS))),
    pruneUsedIdTokens(db, now),
    pruneUnknownLoginFailures(db, now),
  ]);
}
