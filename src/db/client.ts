import { drizzle } from "drizzle-orm/d1";

export type Database = ReturnType<typeof database>;

/**
 * A request's drizzle handle. Without the schema object: nothing uses drizzle's relational queries, and
 * with it drizzle would rebuild their relation map on every request (a cost rule P's one read would pay).
 */
export function database(d1: D1Database) {
  return drizzle(d1);
}
