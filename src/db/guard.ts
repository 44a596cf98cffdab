/**
 * Rule H: a failing or stalling database is the service being unavailable (503), not a bug (500), and a
 * request never waits on it for longer than its budget. Every D1 call of a request goes through one
 * guard: it races the request's remaining budget, and a failure that is the database's (an error D1
 * reports, a lost connection, an overload, a timeout) becomes a `DatabaseUnavailable`. A refusal that
 * is the query's own (a constraint, a syntax error) stays what it is, so that callers can still tell a
 * taken e-mail from an outage, and a real bug still answers 500.
 */

/** How long one request may wait on D1 in all, unless the `D1_BUDGET_MS` var says otherwise. */
export const DEFAULT_D1_BUDGET_MS = 10_000;

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

/** Runs one D1 call within what is left of the budget. */
function within<T>(deadline: number, call: () => Promise<T>): Promise<T> {
  const left = deadline - Date.now();
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

function guardStatement(statement: D1PreparedStatement, deadline: number): D1PreparedStatement {
  const guarded = {
    bind: (...values: unknown[]) => guardStatement(statement.bind(...values), deadline),
    first: (column?: string) => within(deadline, () => (column === undefined ? statement.first() : statement.first(column))),
    run: () => within(deadline, () => statement.run()),
    all: () => within(deadline, () => statement.all()),
    raw: (options?: { columnNames?: boolean }) => within(deadline, () => statement.raw(options as { columnNames: true })),
  } as unknown as D1PreparedStatement;
  inner.set(guarded, statement);
  return guarded;
}

/** `d1`, guarded for one request whose D1 calls may take `budgetMs` in all. */
export function guardD1(d1: D1Database, budgetMs: number): D1Database {
  const deadline = Date.now() + budgetMs;
  return {
    prepare: (query: string) => guardStatement(d1.prepare(query), deadline),
    batch: (statements: D1PreparedStatement[]) =>
      within(deadline, () => d1.batch(statements.map((statement) => inner.get(statement) ?? statement))),
    exec: (query: string) => within(deadline, () => d1.exec(query)),
    withSession: (constraint?: string) => d1.withSession(constraint),
    dump: () => within(deadline, () => d1.dump()),
  } as D1Database;
}
