import { lt } from "drizzle-orm";
import type { Write } from "../db/batch";
import type { Database } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { usedIdTokens } from "../db/schema";
import { sha256 } from "../crypto/secrets";
import type { IdTokenClaims } from "./claims";
import { CLOCK_TOLERANCE_SECONDS } from "./id-token";
import { deleteSome, type Pruner } from "../db/prune";

/**
 * One native sign-in per provider ID token. An app's token can leak (a log, a proxy, a shared device);
 * its hash is remembered for as long as it would still verify (its `exp`, plus the clock tolerance), so
 * a second presentation is refused. The row is a write for the session's batch: a sign-in that fails
 * to open its session leaves the token unused, and of two sign-ins with one token the primary key lets
 * exactly one commit.
 */
export async function spendIdToken(db: Database, token: string, claims: IdTokenClaims): Promise<Write[]> {
  const tokenHash = await sha256(token);
  // In a list: a drizzle query is thenable, so an async function returning it bare would run it here.
  return [db.insert(usedIdTokens).values({ tokenHash, expiresAt: new Date((claims.exp + CLOCK_TOLERANCE_SECONDS) * 1000) })];
}

/** Whether a batch failed because its ID token had already been spent. */
export function isSpentIdToken(error: unknown): boolean {
  return uniqueViolation(error) === "used_id_tokens.token_hash";
}

/** For the scheduled clean-up: tokens past their expiry can no longer verify, so need no memory. */
export const pruneUsedIdTokens: Pruner = (db, now, limit) => [deleteSome(db, usedIdTokens, lt(usedIdTokens.expiresAt, now), limit)];
