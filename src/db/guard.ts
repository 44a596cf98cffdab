/**
 * Rule H: a failing or stalling database is the service being unavailable (503), not a bug (500), and a
 * request never waits on it for longer than its budget. Every D1 call of a request goes through one
 * guard: it races the request's remaining budget, and a failure that is the database's (an error D1
 * reports, a lost connection, an overload, a timeout) becomes a `DatabaseUnavailable`. A refusal that
 * is the query's own (a constraint, a syntax error) stays what it is, so that callers can still tell a
 * taken e-mail from an outage, and a real bug still answers 500.
 */

import { AsyncLocalStorage } from "node:async_hooks";

/** How long one request may wait on D1 in all, unless the `D1_BUDGET_MS` var says otherwise. */
export const DEFAULT_D1_BUDGET_MS = 10_000;

/**
 * The deadline of the request under way, carried with its async work (AsyncLocalStorage), so that one
 * guarded binding serves every request of an isolate: its drizzle handle and prepared queries are made
 * once, yet each request's calls count against that request's own budget.
 */
const requestDeadline = new AsyncLocalStorage<number>();

/** Runs one request (or one scheduled run) whose D1 calls may take `budgetMs` in all. */
export function withinD1Budget<T>(budgetMs: number, run: () => T): T {
  return requestDeadline.run(Date.now() + budgetMs, run);
}

function deadline(): number {
  return requestDeadline.getStore() ?? Date.now() + DEFAULT_D1_BUDGET_MS;
}

export class DatabaseUnavailable extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = "DatabaseUnavailable";
  }
}

/** Errors that are the statement's fault, whatever the database's health: never retried, never 503. */
const STATEMENT_FAULT = /constraint failed|SQLITE_CONSTRAINT|no such (table|column|function)|syntax error|SQLITE_(MISMATCH|RANGE|TOOBIG)|datatype mismatch|too many SQL variables/i;

function classify(error: unknown): unknown {
  if (error instanceof DatabaseUnavailable) return error;
  const message = error instanceof Error ? error.message : String(error);
  return STATEMENT_FAULT.test(message) ? error : new DatabaseUnavailable(firstLine(message), { cause: error });
}

const firstLine = (message: string) => message.split("\n", 1)[0]!.slice(0, 200);

/** True when `error`, or anything in its cause chain, is the database being unavailable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof DatabaseUnavailable) return true;
  }
  return false;
}

/** Runs one D1 call within what is left of the request's budget. */
function within<T>(call: () => Promise<T>): Promise<T> {
  const left = deadline() - Date.now();
  if (left <= 0) return Promise.reject(new DatabaseUnavailable("D1 budget spent before the call"));
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseUnavailable(`D1 did not answer within ${left} ms`)), left);
  });
  const answer = Promise.resolve().then(call).catch((error: unknown) => {
    throw classify(error);
  });
  return Promise.race([answer, timeout]).finally(() => timer !== null && clearTimeout(timer));
}

/** The statement D1 prepared, kept so that a batch can hand the real ones to D1. */
const inner = new WeakMap<object, D1PreparedStatement>();

function guardStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const guarded = {
    bind: (...values: unknown[]) => guardStatement(statement.bind(...values)),
    first: (column?: string) => within(() => (column === undefined ? statement.first() : statement.first(column))),
    run: () => within(() => statement.run()),
    all: () => within(() => statement.all()),
    raw: (options?: { columnNames?: boolean }) => within(() => statement.raw(options as { columnNames: true })),
  } as unknown as D1PreparedStatement;
  inner.set(guarded, statement);
  return guarded;
}

/** `d1`, each of its calls guarded by the budget of the request that makes it (`withinD1Budget`). */
export function guardD1(d1: D1Database): D1Database {
  return {
    prepare: (query: string) => guardStatement(d1.prepare(query)),
    batch: (statements: D1PreparedStatement[]) =>
      within(() => d1.batch(statements.map((statement) => inner.get(statement) ?? statement))),
    exec: (query: string) => within(() => d1.exec(query)),
    withSession: (constraint?: string) => d1.withSession(constraint),
    dump: () => within(() => d1.dump()),
  } as D1Database;
}
