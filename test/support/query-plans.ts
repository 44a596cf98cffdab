// Issue 12, point 5 (every hot query uses an index): what test/db/query-plans.test.ts needs to see the SQL
// the Worker really runs and to read SQLite's plans of it. A recording D1 binding under the eu Worker, the
// plans of each recorded statement (EXPLAIN QUERY PLAN, with its parameters, without statistics and after
// ANALYZE), and the rule that tells a table scan from an index seek.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../src/index";
import { testEnv as env } from "./env";
import { eu, type Region } from "./regions";

/** One statement as the Worker handed it to D1: its SQL and bound parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
}

export interface PlanRow {
  id: number;
  parent: number;
  notused: number;
  detail: string;
}

/**
 * A D1 binding over `real` that records each statement when it is executed (first, all, run, raw, or as a
 * member of a batch), with the parameters bound to it. Everything else passes through.
 */
export function recordingD1(real: D1Database, log: Statement[]): D1Database {
  const recorded = new WeakMap<object, { statement: D1PreparedStatement; sql: string; params: unknown[] }>();

  function statement(inner: D1PreparedStatement, sql: string, params: unknown[]): D1PreparedStatement {
    const executed = <T>(run: () => Promise<T>) => {
      log.push({ sql, params });
      return run();
    };
    const wrapped = {
      bind: (...values: unknown[]) => statement(inner.bind(...values), sql, values),
      first: (column?: string) => executed(() => (column === undefined ? inner.first() : inner.first(column))),
      run: () => executed(() => inner.run()),
      all: () => executed(() => inner.all()),
      raw: (options?: { columnNames?: boolean }) => executed(() => inner.raw(options as { columnNames: true })),
    } as unknown as D1PreparedStatement;
    recorded.set(wrapped, { statement: inner, sql, params });
    return wrapped;
  }

  const d1 = {
    prepare: (sql: string) => statement(real.prepare(sql), sql, []),
    batch: (statements: D1PreparedStatement[]) =>
      real.batch(
        statements.map((s) => {
          const entry = recorded.get(s);
          if (!entry) return s;
          log.push({ sql: entry.sql, params: entry.params });
          return entry.statement;
        }),
      ),
    exec: (sql: string) => {
      log.push({ sql, params: [] });
      return real.exec(sql);
    },
    withSession: () => d1,
    dump: () => real.dump(),
  } as unknown as D1Database;
  return d1;
}

/**
 * The eu region over a recording D1 (one binding and bindings object for the whole file, as an isolate
 * keeps them: queries prepared once per handle are still recorded each time they run). `during` returns
 * the statements `act` made the Worker execute.
 */
export function recordingRegion() {
  const log: Statement[] = [];
  const bindings = { ...env, DB: recordingD1(env.DB, log) };
  const region: Region = {
    ...eu,
    fetch: async (path, init) => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(new Request(eu.origin + path, init), bindings, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
  };
  async function during(act: () => Promise<unknown>): Promise<Statement[]> {
    log.length = 0;
    await act();
    return log.splice(0);
  }
  return { region, during };
}


export async function planOf(statement: Statement): Promise<PlanRow[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
    .bind(...statement.params)
    .all<PlanRow>();
  return results;
}

/**
 * The rows of a plan that read a whole table. Real plans, as SQLite (D1) writes them:
 * - `SEARCH t USING INDEX i (a=? AND b>?)`, `… USING COVERING INDEX …`, `… USING PRIMARY KEY (…)`,
 *   `… USING INTEGER PRIMARY KEY (rowid=?)`: a seek into an index by a key: fine. `t` is the table's name or
 *   its alias in the statement.
 * - `SCAN t`: every row of t. A table scan.
 * - `SCAN t USING INDEX i` / `USING COVERING INDEX i`: every entry of an index, in its order (SQLite
 *   picks it to avoid a sort, or because the index holds every column needed). It still visits every row
 *   of t, so it is a table scan too: stricter than "SCAN without USING INDEX", on purpose.
 * - `SEARCH t USING AUTOMATIC [COVERING] INDEX (a=?)`, `BLOOM FILTER ON t`: SQLite found no index and builds
 *   a transient one for this statement, from a scan of t: a table scan in disguise.
 * Not table scans, and allowed:
 * - `SCAN x` where x is a subquery, view or CTE (`SCAN (subquery-2)`, or a name an earlier `MATERIALIZE x`
 *   or `CO-ROUTINE x` row introduced): it reads rows the plan computed before, whose own reads are
 *   checked in their own rows;
 * - `SCAN json_each VIRTUAL TABLE …` (a table-valued function over one value, not stored rows);
 * - `SCAN CONSTANT ROW` (an INSERT … SELECT without FROM).
 * Sorting (`USE TEMP B-TREE FOR ORDER BY`) is not a scan; the list queries check it on their own.
 */
export function tableScans(plan: PlanRow[]): PlanRow[] {
  const derived = new Set<string>();
  for (const { detail } of plan) {
    const introduced = /^(?:MATERIALIZE|CO-ROUTINE) (.+)$/.exec(detail);
    if (introduced) derived.add(introduced[1]!);
  }
  return plan.filter(({ detail }) => {
    if (/\bAUTOMATIC\b|^BLOOM FILTER\b/.test(detail)) return true;
    const scanned = /^SCAN (\([^)]*\)|\S+)/.exec(detail)?.[1];
    if (scanned === undefined) return false;
    if (derived.has(scanned) || scanned.startsWith("(subquery-")) return false;
    if (scanned === "CONSTANT" || / VIRTUAL TABLE\b/.test(detail)) return false;
    return true;
  });
}

/**
 * Back to a database nobody has run ANALYZE on (the tests of this file share one database): the
 * statistics are deleted, and `ANALYZE sqlite_schema` makes SQLite reload them, that is, forget them.
 */
async function forgetStatistics() {
  const table = await env.DB.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'sqlite_stat1'").first<{ n: number }>();
  if (!table?.n) return;
  await env.DB.batch([env.DB.prepare("DELETE FROM sqlite_stat1"), env.DB.prepare("ANALYZE sqlite_schema")]);
  const left = await env.DB.prepare("SELECT count(*) AS n FROM sqlite_stat1").first<{ n: number }>();
  expect(left?.n, "statistics forgotten").toBe(0);
}

/** Same SQL and parameters once (a prepared query run twice is one plan). */
function distinct(statements: Statement[]): Statement[] {
  const seen = new Map<string, Statement>();
  for (const s of statements) seen.set(`${s.sql}\u0000${JSON.stringify(s.params)}`, s);
  return [...seen.values()];
}

export const describePlan = (plan: PlanRow[]) => plan.map((row) => `  ${row.detail}`).join("\n");

/**
 * Every statement in `statements` is planned without statistics, then after ANALYZE; the plans holding a
 * table scan are returned, each described for the failure message (the SQL, its parameters, the plan).
 */
async function scansIn(statements: Statement[]): Promise<{ plans: Map<Statement, PlanRow[][]>; scans: string[] }> {
  const scans: string[] = [];
  const plans = new Map<Statement, PlanRow[][]>();
  const unique = distinct(statements);
  await forgetStatistics();
  for (const pass of ["without statistics", "after ANALYZE"] as const) {
    if (pass === "after ANALYZE") await env.DB.prepare("ANALYZE").run();
    for (const statement of unique) {
      const plan = await planOf(statement);
      plans.set(statement, [...(plans.get(statement) ?? []), plan]);
      const scanning = tableScans(plan);
      if (scanning.length > 0) {
        scans.push(
          `${pass}: ${scanning.map((row) => row.detail).join("; ")}\n  in: ${statement.sql}\n  params: ${JSON.stringify(statement.params)}\n  plan:\n${describePlan(plan)}`,
        );
      }
    }
  }
  return { plans, scans };
}

/**
 * The assertion of every test: `statements` is not empty, names each of `tables` (so that the route did
 * run the queries the test is about), and no plan of it scans a table.
 */
export async function expectIndexedOnly(statements: Statement[], tables: string[]) {
  expect(statements.length, "the route ran no statement at all").toBeGreaterThan(0);
  for (const table of tables) {
    expect(
      statements.some((s) => s.sql.includes(`"${table}"`)),
      `no recorded statement reads or writes ${table}:\n${statements.map((s) => s.sql).join("\n")}`,
    ).toBe(true);
  }
  const { plans, scans } = await scansIn(statements);
  // Soft: a test goes on to its own checks of the plans, so that one run names every fault.
  expect.soft(scans, `table scans:\n${scans.join("\n\n")}`).toEqual([]);
  return plans;
}

/**
 * The plans (without statistics, after ANALYZE) of the recorded statements that list `table`: a SELECT
 * from it with an ORDER BY. Each with its SQL, for the failure message.
 */
export function listPlans(plans: Map<Statement, PlanRow[][]>, table: string): [string, string][] {
  return [...plans]
    .filter(([s]) => /^select/i.test(s.sql) && s.sql.includes(`from "${table}"`) && /order by/i.test(s.sql))
    .flatMap(([s, passes]) => passes.map((plan): [string, string] => [`${s.sql}\n${JSON.stringify(s.params)}\n${describePlan(plan)}`, describePlan(plan)]));
}
