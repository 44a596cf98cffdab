import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { testEnv as env } from "./env";
import { eu, type Region } from "./regions";

/**
 * Rule H: the eu Worker over its real D1, through a binding that fails on cue, the way D1 fails in
 * production (an error D1 reports, or no answer at all). The code under test is untouched: only the
 * database it is handed misbehaves.
 */
export type Fault =
  /** Every call fails. */
  | { kind: "down" }
  /**
   * The n-th D1 call of each request (1-based; a batch is one call; several with an array) fails, the
   * others succeed. With `lost`, the call is carried out and only its answer is lost (D1 committed, the
   * Worker saw an error), the hardest case for a retry.
   */
  | { kind: "nth"; n: number | number[]; lost?: boolean }
  /** Each call fails with this probability (a seeded generator, so that a run can be repeated). */
  | { kind: "random"; rate: number; seed: number }
  /** Each call answers only after this many milliseconds. */
  | { kind: "slow"; ms: number };

/** What D1 itself throws when its storage is unreachable. */
export const D1_OUTAGE = "D1_ERROR: Network connection lost.";

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A D1 binding over `real` whose calls misbehave as `fault` says; `calls` counts them. */
export function faultyD1(real: D1Database, fault: Fault, random = fault.kind === "random" ? seeded(fault.seed) : Math.random) {
  const counter = { calls: 0, failed: 0 };
  const underlying = new WeakMap<object, D1PreparedStatement>();

  async function call<T>(run: () => Promise<T>): Promise<T> {
    counter.calls += 1;
    const fails =
      fault.kind === "down" ||
      (fault.kind === "nth" && [fault.n].flat().includes(counter.calls)) ||
      (fault.kind === "random" && random() < fault.rate);
    if (fault.kind === "slow") await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (!fails) return run();
    counter.failed += 1;
    if (fault.kind === "nth" && fault.lost) await run();
    throw new Error(D1_OUTAGE);
  }

  function statement(real: D1PreparedStatement): D1PreparedStatement {
    const wrapped = {
      bind: (...values: unknown[]) => statement(real.bind(...values)),
      first: (column?: string) => call(() => (column === undefined ? real.first() : real.first(column))),
      run: () => call(() => real.run()),
      all: () => call(() => real.all()),
      raw: (options?: { columnNames?: boolean }) => call(() => real.raw(options as { columnNames: true })),
    } as unknown as D1PreparedStatement;
    underlying.set(wrapped, real);
    return wrapped;
  }

  const d1 = {
    prepare: (query: string) => statement(real.prepare(query)),
    batch: (statements: D1PreparedStatement[]) => call(() => real.batch(statements.map((s) => underlying.get(s) ?? s))),
    exec: (query: string) => call(() => real.exec(query)),
    withSession: () => d1,
    dump: () => real.dump(),
  } as unknown as D1Database;
  return { d1, counter };
}

/**
 * The eu region as a client sees it while one of its databases misbehaves (shard 1 unless told). The fault
 * applies per request (the call count restarts with each one) and only while `faulty` is true; set it to
 * false to see the same region, same data, healthy again. `budgetMs` bounds each request's wait on D1, as
 * `D1_BUDGET_MS` does. `region.db` is the faulty shard's own, healthy binding, for the test's reads.
 */
export function faultyRegion(fault: Fault, budgetMs = 400, shard = 1) {
  const state = { faulty: true, calls: 0, failed: 0 };
  // One generator for the whole run, so that random faults differ from request to request.
  const random = fault.kind === "random" ? seeded(fault.seed) : Math.random;
  const binding = shard === 1 ? "DB" : `DB_${shard}`;
  const real = eu.shards[shard - 1]!;
  const region: Region = {
    ...eu,
    db: real,
    fetch: async (path, init) => {
      const { d1, counter } = faultyD1(real, fault, random);
      const bindings = { ...env, [binding]: state.faulty ? d1 : real, D1_BUDGET_MS: String(budgetMs) };
      const ctx = createExecutionContext();
      const response = await worker.fetch(new Request(eu.origin + path, init), bindings, ctx);
      await waitOnExecutionContext(ctx);
      state.calls += counter.calls;
      state.failed += counter.failed;
      return response;
    },
  };
  return { region, state };
}
