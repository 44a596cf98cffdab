// Rule L's record within a bound of rows as well as of days (rule H): each tenant keeps at most its
// `signInAttemptCap` newest sign-in attempts (admin settings, 1,000 to 100,000,000, default 1,000,000);
// the daily clean-up writes the older ones to R2 under the retention's keys and parts (a UTC day, a batch
// at most, named by the first attempt), then deletes exactly what R2 has. Holes closed: a tenant filling
// its shard within its retention, attempts beyond the cap deleted without a copy or copied twice, a cap
// that reaches other tenants or a moving one, rows lost when R2 fails, a cap out of range, and the search
// for tenants over their cap reading every attempt of the shard rather than walking an index.
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { prune } from "../../src/scheduled";
import { adminFixture, patchSettings, type AdminFixture } from "../support/admin";
import { consoleOf, page, signedInBrowser } from "../console/support";
import { testEnv } from "../support/env";
import { problemOf } from "../support/problems";
import { planOf, recordingD1, tableScans, type Statement } from "../support/query-plans";
import { eu } from "../support/regions";
import {
  archivedParts,
  archiveKeys,
  attemptRows,
  dayStart,
  failingBucket,
  partsOf,
  pruneWith,
  seedAttempts,
  type ArchivedAttempt,
} from "./support";

const CAP = 1_000;
const BATCH = 10;
const MINUTE = 60_000;

/** A tenant of its own whose admin has set these settings (through the admin API, which must accept them). */
async function tenantWith(settings: Record<string, number>): Promise<AdminFixture> {
  const f = await adminFixture();
  const response = await patchSettings(f, settings);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(await response.json()).toMatchObject(settings);
  return f;
}

/** `count` attempts a minute apart from `start` on; every attempt of the tenant (its admin's sign-in too), oldest first. */
function seedFrom(f: AdminFixture, start: number, count: number, prefix?: string): Promise<ArchivedAttempt[]> {
  return seedAttempts(f.tenantId, Array.from({ length: count }, (_, i) => start + i * MINUTE), prefix);
}

/** The tenant's archive holds exactly `archived`, in the parts a batch of BATCH makes of them, and D1 exactly `kept`. */
async function expectSplit(f: AdminFixture, archived: ArchivedAttempt[], kept: ArchivedAttempt[]) {
  expect(await archivedParts(f.tenantId)).toEqual(partsOf(archived, BATCH));
  expect(await attemptRows(f.tenantId)).toEqual(kept);
}

describe("the cap on a tenant's sign-in attempts", () => {
  it("H L the newest `cap` attempts stay in D1, every older one is in R2 once, by day in parts of a batch; a tenant at its cap or under a larger one is untouched", async () => {
    const capped = await tenantWith({ signInAttemptCap: CAP });
    await seedFrom(capped, dayStart(3) + 60 * MINUTE, 15, "older-day-");
    const rows = await seedFrom(capped, dayStart(2) + 60 * MINUTE, CAP + 10);
    const atCap = await tenantWith({ signInAttemptCap: CAP });
    // Its admin's own sign-in is one attempt: with these, it has exactly its cap.
    const atCapRows = await seedFrom(atCap, dayStart(2), CAP - 1);
    const usual = await adminFixture();
    const usualRows = await seedFrom(usual, dayStart(2), CAP + 100);
    const over = rows.length - CAP;
    expect(over).toBe(26);

    await pruneWith(BATCH);

    await expectSplit(capped, rows.slice(0, over), rows.slice(over));
    // Two days: 15 attempts of the older one in parts of 10 and 5, 11 of the newer in parts of 10 and 1.
    expect([...partsOf(rows.slice(0, over), BATCH).values()].map((part) => part.length)).toEqual([10, 5, 10, 1]);
    await expectSplit(atCap, [], atCapRows);
    await expectSplit(usual, [], usualRows);

    // A second run finds nothing more to do.
    const keys = await archiveKeys(capped.tenantId);
    await pruneWith(BATCH);
    expect(await archiveKeys(capped.tenantId)).toEqual(keys);
    expect(await attemptRows(capped.tenantId)).toEqual(rows.slice(over));
  });

  it("H L retention and cap together: the expired attempts and those beyond the cap are each archived once, the newest `cap` of the rest stay", async () => {
    const f = await tenantWith({ signInAttemptRetentionDays: 7, signInAttemptCap: CAP });
    await seedFrom(f, dayStart(10), 20, "expired-");
    const rows = await seedFrom(f, dayStart(2), CAP + 5);
    expect(rows.length - CAP).toBe(26);

    await pruneWith(BATCH);

    await expectSplit(f, rows.slice(0, rows.length - CAP), rows.slice(rows.length - CAP));
  });

  it("H attempts of the same millisecond as the cap's edge go together: the newest `cap` at most stay, never more", async () => {
    const f = await tenantWith({ signInAttemptCap: CAP });
    const start = dayStart(2);
    // 1,004 attempts with the admin's: the 4th oldest (the 1,001st newest) is the edge, and the 5th to the
    // 7th share its millisecond.
    const ats = Array.from({ length: CAP + 3 }, (_, i) => start + (i >= 3 && i < 7 ? 3 : i) * MINUTE);
    const rows = await seedAttempts(f.tenantId, ats);
    expect(rows.length).toBe(CAP + 4);
    expect(new Set(rows.slice(3, 7).map((row) => row.at)).size).toBe(1);

    await pruneWith(BATCH);

    await expectSplit(f, rows.slice(0, 7), rows.slice(7));
  });

  it("H an R2 failure deletes nothing; the next run archives and deletes", async () => {
    const f = await tenantWith({ signInAttemptCap: CAP });
    const rows = await seedFrom(f, dayStart(2), CAP + 4);
    const { bucket, counter } = failingBucket();

    await pruneWith(BATCH, bucket);

    expect(counter.puts).toBeGreaterThan(0);
    await expectSplit(f, [], rows);

    await pruneWith(BATCH);

    await expectSplit(f, rows.slice(0, 5), rows.slice(5));
  });

  it("H a tenant moving between shards keeps its attempts beyond its cap until it has arrived", async () => {
    const f = await tenantWith({ signInAttemptCap: CAP });
    const rows = await seedFrom(f, dayStart(2), CAP + 4);
    const moveState = (state: string | null) => eu.db.prepare("UPDATE tenants SET move_state = ? WHERE id = ?").bind(state, f.tenantId).run();

    await moveState("leaving");
    await pruneWith(BATCH);
    await expectSplit(f, [], rows);

    await moveState(null);
    await pruneWith(BATCH);
    await expectSplit(f, rows.slice(0, 5), rows.slice(5));
  });

  it("L without an archive bucket, no attempt beyond the cap is deleted", async () => {
    const f = await tenantWith({ signInAttemptCap: CAP });
    const rows = await seedFrom(f, dayStart(2), CAP + 4);
    await prune(database(eu.db), new Date(), { batch: BATCH });
    await expectSplit(f, [], rows);
  });
});

describe("the signInAttemptCap setting", () => {
  it("H is 1,000,000 for a new tenant; its admin may set 1,000 to 100,000,000, and the console's attempts pages say it", async () => {
    const f = await adminFixture();
    const settings = await f.region.fetch(`/t/${f.tenant}/admin/settings`, { headers: f.auth });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({ signInAttemptCap: 1_000_000 });
    const browser = await signedInBrowser(f.tenant);
    expect((await page(browser, `${consoleOf(f.tenant)}/sign-in-attempts`)).html).toContain("the newest 1,000,000 at most");

    for (const cap of [1_000, 100_000_000]) {
      const response = await patchSettings(f, { signInAttemptCap: cap });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ signInAttemptCap: cap });
    }
    expect((await page(browser, `${consoleOf(f.tenant)}/sign-in-attempts`)).html).toContain("the newest 100,000,000 at most");
    expect((await page(browser, `${consoleOf(f.tenant)}/sign-in-attempts/archives`)).html).toContain("beyond the newest 100,000,000");
  });

  it.each<[string, unknown]>([
    ["below 1,000", 999],
    ["above 100,000,000", 100_000_001],
    ["fractional", 1_500.5],
    ["a string", "5000"],
  ])("H a cap %s is 400 validation_failed naming signInAttemptCap, and changes nothing", async (_what, cap) => {
    const f = await adminFixture();
    const problem = await problemOf(await patchSettings(f, { signInAttemptCap: cap }), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain("signInAttemptCap");
    const row = await eu.db.prepare("SELECT attempt_cap FROM tenants WHERE id = ?").bind(f.tenantId).first<{ attempt_cap: number }>();
    expect(row?.attempt_cap).toBe(1_000_000);
  });
});

describe("the search for tenants over their cap", () => {
  // Last in this file: it leaves ANALYZE's statistics behind.
  it("H walks each tenant's attempts once, through (tenant_id, at) newest first, as it goes; each step seeks by index only", async () => {
    const f = await tenantWith({ signInAttemptCap: CAP });
    await seedFrom(f, dayStart(2), CAP + 4);
    const ran: Statement[] = [];
    const d1 = recordingD1(eu.db, ran);

    await prune(database(d1), new Date(), { batch: BATCH, archive: testEnv.ARCHIVE });

    expect(await attemptRows(f.tenantId)).toHaveLength(CAP);
    const search = ran.filter((statement) => statement.sql.includes("row_number()"));
    expect(search, "the search runs once a run").toHaveLength(1);
    const steps = ran.filter((statement) => statement.params.includes(f.tenantId) || /^delete from "sign_in_attempts"/.test(statement.sql));
    expect(steps.length).toBeGreaterThan(0);
    for (const pass of ["without statistics", "after ANALYZE"]) {
      if (pass === "after ANALYZE") await testEnv.DB.prepare("ANALYZE").run();
      const plan = await planOf(search[0]!);
      const details = plan.map((row) => row.detail);
      const described = `${pass}:\n${details.join("\n")}`;
      // Every tenant's row is read, by design (each has its own cap); its attempts only through the index,
      // once, in the index's order and numbered as they are read (a sort, or the numbered attempts
      // materialized, would read them all rather than stop at cap + 1).
      expect(tableScans(plan).map((row) => row.detail), described).toEqual(["SCAN tenants"]);
      expect(details.filter((detail) => detail.startsWith("SEARCH sign_in_attempts")), described).toEqual([
        "SEARCH sign_in_attempts USING COVERING INDEX sign_in_attempts_tenant_at (tenant_id=?)",
      ]);
      expect(details.filter((detail) => /TEMP B-TREE|^MATERIALIZE \(subquery/.test(detail)), described).toEqual([]);
      for (const step of steps) {
        expect(tableScans(await planOf(step)), `${pass}: ${step.sql}`).toEqual([]);
      }
    }
  });
});
