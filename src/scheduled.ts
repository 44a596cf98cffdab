import { pruneAttempts } from "./audit/attempts";
import { pruneUnknownLoginFailures } from "./credentials/lockout";
import { commit } from "./db/batch";
import type { Database } from "./db/client";
import { pruneFlows } from "./federation/flows";
import { pruneUsedIdTokens } from "./federation/used-id-tokens";
import { pruneAuthorizationCodes } from "./tokens/codes";
import { pruneEndedSessions } from "./tokens/sessions";

/**
 * The daily clean-up (wrangler.toml `triggers.crons`): what has outlived its retention bound goes, each
 * table through the room that owns it.
 */
export async function prune(db: Database, now = new Date()): Promise<void> {
  await commit(db, [
    pruneAttempts(db, now),
    pruneAuthorizationCodes(db, now),
    pruneFlows(db, now),
    pruneEndedSessions(db, now),
    pruneUsedIdTokens(db, now),
    pruneUnknownLoginFailures(db, now),
  ]);
}
