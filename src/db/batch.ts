import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "./client";

/** One write of a D1 batch: rooms return these so that a caller can commit several rooms' rows at once. */
export type Write = BatchItem<"sqlite">;

/**
 * For what must be given back after a database fault (a held slot or try): the batch, tried up to three
 * times, since the fault that failed the request may fail the first give-back too. Never throws: what
 * still fails lapses on its own (a slot's lease, a try's window).
 */
export async function commitGivingBack(db: Database, writes: Write[]): Promise<void> {
  for (let tries = 0; tries < 3; tries++) {
    try {
      return await commit(db, writes);
    } catch {
      // Try again: the next call may reach D1.
    }
  }
}

/** Runs writes as one D1 batch: all or nothing (D1 has no interactive transactions). */
export async function commit(db: Database, writes: Write[]): Promise<void> {
  const [first, ...rest] = writes;
  if (first) await db.batch([first, ...rest]);
}
