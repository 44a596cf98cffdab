import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "./client";

/** One write of a D1 batch: rooms return these so that a caller can commit several rooms' rows at once. */
export type Write = BatchItem<"sqlite">;

/** Runs writes as one D1 batch: all or nothing (D1 has no interactive transactions). */
export async function commit(db: Database, writes: Write[]): Promise<void> {
  const [first, ...rest] = writes;
  if (first) await db.batch([first, ...rest]);
}
