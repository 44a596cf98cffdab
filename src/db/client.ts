import { drizzle } from "drizzle-orm/d1";
import { guardD1 } from "./guard";

export type Database = ReturnType<typeof database>;

/**
 * A drizzle handle on `d1`. Without the schema object: nothing uses drizzle's relational queries, and
 * with it drizzle would build their relation map for every handle.
 */
export function database(d1: D1Database) {
  return drizzle(d1);
}

const guarded = new WeakMap<D1Database, Database>();

/**
 * The handle every request and scheduled run uses: over the D1 guard (rule H: 503 and the request's
 * budget), one per binding and isolate, so that queries prepared on it are prepared once.
 */
export function databaseOf(d1: D1Database): Database {
  let db = guarded.get(d1);
  if (!db) {
    db = database(guardD1(d1));
    guarded.set(d1, db);
  }
  return db;
}

/**
 * `prepare(db)` made once per database handle and kept: for the queries every request runs, whose SQL
 * drizzle would otherwise build anew each time. The handle is the isolate's (`databaseOf`); each run of
 * the prepared query still counts against the budget of the request that runs it (db/guard.ts).
 */
export function preparedPerHandle<P>(prepare: (db: Database) => P): (db: Database) => P {
  const prepared = new WeakMap<Database, P>();
  return (db) => {
    let query = prepared.get(db);
    if (!query) {
      query = prepare(db);
      prepared.set(db, query);
    }
    return query;
  };
}
