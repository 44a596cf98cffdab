import { pruneAttempts } from "./audit/attempts";
import { pruneUnknownLoginFailures } from "./credentials/lockout";
import type { Database } from "./db/client";
import type { Pruner } from "./db/prune";
import { pruneFlows } from "./federation/flows";
import { pruneUsedIdTokens } from "./federation/used-id-tokens";
import { pruneAuthorizationCodes } from "./tokens/codes";
import { pruneEndedSessions } from "./tokens/sessions";

/** Each table's share, through the room that owns it. */
const pruners: Pruner[] = [
  pruneAttempts,
  pruneAuthorizationCodes,
  pruneFlows,
  pruneEndedSessions,
  pruneUsedIdTokens,
  pruneUnknownLoginFailures,
];

/** Rows one step deletes at most: a statement of well under a second on a large table. */
export const PRUNE_BATCH = 1_000;
/** How long one run may go on; what is left waits for the next day's run. */
export const PRUNE_BUDGET_MS = 20_000;

/**
 * The daily clean-up (wrangler.toml `triggers.crons`): what has outlived its retention bound goes, in
 * bounded steps. Each round gives every table with expired rows one step, so that a table with a large
 * backlog does not starve the others; a table is done once a step deletes less than a full batch. The
 * run stops at its budget, leaving the rest for the next run. Returns the rows deleted.
 */
export async function prune(
  db: Database,
  now = new Date(),
  { batch = PRUNE_BATCH, budgetMs = PRUNE_BUDGET_MS }: { batch?: number; budgetMs?: number } = {},
): Promise<number> {
  const deadline = Date.now() + budgetMs;
  let pending = pruners;
  let deleted = 0;
  while (pending.length > 0 && Date.now() < deadline) {
    const next: Pruner[] = [];
    for (const pruner of pending) {
      if (Date.now() >= deadline) break;
      const results = await db.batch(pruner(db, now, batch));
      const changes = results.map((result) => result.meta.changes);
      deleted += changes.reduce((sum, n) => sum + n, 0);
      if (changes.some((n) => n >= batch)) next.push(pruner);
    }
    pending = next;
  }
  return deleted;
}
