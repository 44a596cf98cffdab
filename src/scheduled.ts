import { pruneAccountTokens } from "./accounts/account-tokens";
import { pruneUnconfirmedRegistrations } from "./accounts/email-verification";
import { archiveExpiredAttempts } from "./audit/archive";
import { archiveAttemptsOverCap } from "./audit/attempt-cap";
import { pruneUnknownLoginFailures } from "./credentials/lockout";
import { pruneDeviceAuthorizations } from "./devices/authorizations";
import { pruneMfaChallenges } from "./factors/challenges";
import { pruneWebauthnChallenges } from "./factors/passkeys";
import { pruneRememberedDevices } from "./factors/remembered";
import { pruneUsedClientAssertions } from "./devices/client-assertions";
import type { Database } from "./db/client";
import type { PruneStep, PruneContext, Pruner } from "./db/prune";
import { pruneFlows } from "./federation/flows";
import { pruneUsedIdTokens } from "./federation/used-id-tokens";
import { pruneAuthorizationCodes } from "./tokens/codes";
import { pruneEndedSessions } from "./tokens/sessions";

/** A pruner of statements as a step: its batch run, and more to do if any statement deleted a full one. */
function deleting(pruner: Pruner): PruneStep {
  return async (db, now, limit) => {
    const changes = (await db.batch(pruner(db, now, limit))).map((result) => result.meta.changes);
    return { deleted: changes.reduce((sum, n) => sum + n, 0), more: changes.some((n) => n >= limit) };
  };
}

/**
 * Each table's share, through the room that owns it, made anew for each run (a step may keep what it
 * found at the run's start). Sign-in attempts are archived to R2 before they go, past their tenant's
 * retention or beyond its cap.
 */
function stepsOfARun(): PruneStep[] {
  return [
    archiveExpiredAttempts,
    archiveAttemptsOverCap(),
    ...[
      pruneAuthorizationCodes,
      pruneFlows,
      pruneEndedSessions,
      pruneUsedIdTokens,
      pruneUnknownLoginFailures,
      pruneUnconfirmedRegistrations,
      pruneAccountTokens,
      pruneDeviceAuthorizations,
      pruneUsedClientAssertions,
      pruneWebauthnChallenges,
      pruneMfaChallenges,
      pruneRememberedDevices,
    ].map(deleting),
  ];
}

/** Rows one step deletes at most: a statement of well under a second on a large table. */
export const PRUNE_BATCH = 1_000;
/** How long one run may go on; what is left waits for the next day's run. */
export const PRUNE_BUDGET_MS = 20_000;

/**
 * The daily clean-up (wrangler.toml `triggers.crons`): what has outlived its retention bound goes (and a
 * tenant's sign-in attempts beyond its cap), in bounded steps. Each round gives every table with expired rows one step, so that a table with a large
 * backlog does not starve the others; a table is done once a step says there is no more (for a table of
 * plain deletes, a step that deleted less than a full batch; for sign-in attempts, archived a part at a
 * time, a step that found nothing to archive or could not write it). The run stops at its budget,
 * leaving the rest for the next run. `archive` is the region's R2 bucket: without it no sign-in attempt
 * is deleted. Returns the rows deleted.
 */
export async function prune(
  db: Database,
  now = new Date(),
  { batch = PRUNE_BATCH, budgetMs = PRUNE_BUDGET_MS, archive }: { batch?: number; budgetMs?: number } & PruneContext = {},
): Promise<number> {
  const deadline = Date.now() + budgetMs;
  let pending = stepsOfARun();
  let deleted = 0;
  while (pending.length > 0 && Date.now() < deadline) {
    const next: PruneStep[] = [];
    for (const pruner of pending) {
      if (Date.now() >= deadline) break;
      const step = await pruner(db, now, batch, { archive });
      deleted += step.deleted;
      if (step.more) next.push(pruner);
    }
    pending = next;
  }
  return deleted;
}
