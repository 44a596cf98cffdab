import { inArray, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "./client";

/**
 * One bounded step of the scheduled clean-up: deletes at most `limit` rows of `table` that match
 * `expired`, chosen through the index the condition names, by rowid. However large the table, a step
 * is one short statement, so one big table never makes the clean-up time out or fail.
 */
export function deleteSome(db: Database, table: SQLiteTable, expired: SQL | undefined, limit: number) {
  const rowid = sql`rowid`;
  return db.delete(table).where(inArray(rowid, db.select({ rowid }).from(table).where(expired).limit(limit)));
}

/**
 * A room's share of the clean-up: one bounded step, of one statement or a few run as one D1 batch (in
 * order, all or nothing), each deleting at most `limit` of its expired rows.
 */
export type Pruner = (db: Database, now: Date, limit: number) => [ReturnType<typeof deleteSome>, ...ReturnType<typeof deleteSome>[]];

/** What a step may need besides the database: where records are archived before they go. */
export interface PruneContext {
  /** The region's archive (wrangler.toml `ARCHIVE`); without one, a step that archives deletes nothing. */
  archive?: R2Bucket;
}

/**
 * One step of the clean-up as the runner (scheduled.ts) takes it: a Pruner's batch, or a step that does
 * more than delete (reads at most `limit` expired rows, writes them elsewhere, then deletes exactly
 * those). Says how many it deleted, and whether a next step may find more.
 */
export type PruneStep = (db: Database, now: Date, limit: number, context: PruneContext) => Promise<{ deleted: number; more: boolean }>;
