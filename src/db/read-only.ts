/**
 * A database handle that reads and refuses to write: the handle of a tenant while it moves between
 * shards (tenants/move.ts), so that nothing written during the copy is left behind on the shard it
 * leaves. Every query path gets it from the tenant middleware, so no path needs to know about moves:
 * a write of any kind, in any room, is refused the moment it would run.
 */
import { database, type Database } from "./client";
import { guardD1 } from "./guard";

/**
 * The error a write meets on a read-only handle. Not an AppError: code that turns a rule's refusal into
 * its own answer (an `invalid_grant`, a failed attempt) must not mistake it for one; the error handler
 * answers it (http/problem.ts: 503, with what the handle's owner says and when to try again).
 */
export class WriteRefused extends Error {
  constructor(
    readonly detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super("write refused on a read-only database handle");
    this.name = "WriteRefused";
  }
}

/** A statement that only reads: SQLite's `SELECT`, alone or after a `WITH` of selects (as drizzle writes them). */
const READ = /^\s*(select|with)\b/i;
/** A `WITH` that ends in a write (`WITH … DELETE`) is a write. */
const WRITE_AFTER_WITH = /\b(insert|update|delete|replace)\b/i;

function isRead(query: string): boolean {
  return READ.test(query) && !(/^\s*with\b/i.test(query) && WRITE_AFTER_WITH.test(query));
}

/** What each statement was, so that a batch can tell whether it writes. */
const writes = new WeakSet<object>();

function refusingStatement(statement: D1PreparedStatement, write: boolean, refusal: () => WriteRefused): D1PreparedStatement {
  const refuseIfWrite = <T>(run: () => Promise<T>) => (write ? Promise.reject(refusal()) : run());
  const wrapped = {
    bind: (...values: unknown[]) => refusingStatement(statement.bind(...values), write, refusal),
    first: (column?: string) => refuseIfWrite(() => (column === undefined ? statement.first() : statement.first(column))),
    run: () => refuseIfWrite(() => statement.run()),
    all: () => refuseIfWrite(() => statement.all()),
    raw: (options?: { columnNames?: boolean }) => refuseIfWrite(() => statement.raw(options as { columnNames: true })),
  } as unknown as D1PreparedStatement;
  if (write) writes.add(wrapped);
  inner.set(wrapped, statement);
  return wrapped;
}

const inner = new WeakMap<object, D1PreparedStatement>();

function readOnlyD1(d1: D1Database, refusal: () => WriteRefused): D1Database {
  return {
    prepare: (query: string) => refusingStatement(d1.prepare(query), !isRead(query), refusal),
    batch: (statements: D1PreparedStatement[]) =>
      statements.some((statement) => writes.has(statement))
        ? Promise.reject(refusal())
        : d1.batch(statements.map((statement) => inner.get(statement) ?? statement)),
    exec: () => Promise.reject(refusal()),
    withSession: (constraint?: string) => d1.withSession(constraint),
    dump: () => d1.dump(),
  } as D1Database;
}

/**
 * A read-only handle on `d1`, over the D1 guard as `databaseOf(d1)` is (rule H). `refusal` makes the
 * error a write meets: the caller knows what to tell the client.
 */
export function readOnlyDatabase(d1: D1Database, refusal: () => WriteRefused): Database {
  return database(readOnlyD1(guardD1(d1), refusal));
}
