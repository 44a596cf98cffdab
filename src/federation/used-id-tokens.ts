import { eq, lt } from "drizzle-orm";
import type { Config } from "../config";
import type { Write } from "../db/batch";
import { databaseOf, type Database } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { usedIdTokens } from "../db/schema";
import { sha256 } from "../crypto/secrets";
import type { IdTokenClaims } from "./claims";
import { CLOCK_TOLERANCE_SECONDS } from "./id-token";
import { deleteSome, type Pruner } from "../db/prune";

/** A spent ID token: the writes for the session's batch, and how to give the token back if that batch fails. */
export interface SpentIdToken {
  writes: Write[];
  giveBack(): Promise<void>;
}

/**
 * One native sign-in per provider ID token, in the whole region. An app's token can leak (a log, a
 * proxy, a shared device); its hash is remembered for as long as it would still verify (its `exp`, plus
 * the clock tolerance), so a second presentation is refused, in any tenant. The region's ledger is its
 * first shard: of two sign-ins with one token its primary key lets exactly one spend it. For a tenant on
 * that shard the row is a write of the session's batch (a sign-in that fails to open its session leaves
 * the token unused); for a tenant on another, the token is spent first, and the caller gives it back when
 * the session's batch failed and the session is certainly not written (unsure, or a give-back that fails
 * too, leaves it spent: the app gets a new one from the provider).
 */
export async function spendIdToken(config: Config, db: Database, token: string, claims: IdTokenClaims): Promise<SpentIdToken> {
  const row = { tokenHash: await sha256(token), expiresAt: new Date((claims.exp + CLOCK_TOLERANCE_SECONDS) * 1000) };
  const ledger = databaseOf(config.shards[0]!);
  if (db === ledger) return { writes: [db.insert(usedIdTokens).values(row)], giveBack: async () => {} };
  await ledger.insert(usedIdTokens).values(row);
  return {
    writes: [],
    giveBack: async () => {
      await ledger.delete(usedIdTokens).where(eq(usedIdTokens.tokenHash, row.tokenHash));
    },
  };
}

/** Whether a batch failed because its ID token had already been spent. */
export function isSpentIdToken(error: unknown): boolean {
  return uniqueViolation(error) === "used_id_tokens.token_hash";
}

/** For the scheduled clean-up: tokens past their expiry can no longer verify, so need no memory. */
export const pruneUsedIdTokens: Pruner = (db, now, limit) => [deleteSome(db, usedIdTokens, lt(usedIdTokens.expiresAt, now), limit)];
