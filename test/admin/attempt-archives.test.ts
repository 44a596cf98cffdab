// The admin API's view of the sign-in attempts archive (rules L, T, P, H): GET
// /t/{tenant}/admin/sign-in-attempts/archives lists the tenant's parts (day, part, size, uploadedAt), paged
// by R2's cursor; GET …/archives/{day}/{part} streams one, gzip, as an attachment, never stored by a cache.
// Holes closed: an archive that cannot be read back as the attempts it holds, one tenant (or a non-admin)
// reading another's archive, and a day or part that names a key outside the tenant's prefix.
import { describe, expect, it } from "vitest";
import { adminFixture, type AdminFixture, memberAuth } from "../support/admin";
import { problemOf } from "../support/problems";
import { attemptsIn, dayOf, dayStart, pruneWith, seedAttempts } from "../audit/support";

const HOUR = 3600_000;

interface ArchiveItem {
  day: string;
  part: string;
  size: number;
  uploadedAt: string;
}

function archives(f: AdminFixture, path = "", auth = f.auth) {
  return f.region.fetch(`/t/${f.tenant}/admin/sign-in-attempts/archives${path}`, { headers: auth });
}

/** A tenant with attempts on two days past its retention, archived: the rows of each day. */
async function archived() {
  const f = await adminFixture();
  const [d1, d2] = [dayStart(110), dayStart(100)];
  const rows = await seedAttempts(f.tenantId, [d1 + HOUR, d1 + 2 * HOUR, d2 + HOUR]);
  await pruneWith(1_000);
  return { f, days: [dayOf(d1), dayOf(d2)], rows: [rows.slice(0, 2), rows.slice(2, 3)], parts: [String(rows[0]!.id), String(rows[2]!.id)] };
}

describe("GET /t/{tenant}/admin/sign-in-attempts/archives", () => {
  it("L lists the tenant's archived parts by day, and each downloads as the gzip JSON lines of its attempts", async () => {
    const { f, days, rows, parts } = await archived();
    const response = await archives(f);
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as { items: ArchiveItem[]; nextCursor: string | null };
    expect(body.nextCursor).toBeNull();
    expect(body.items.map(({ day, part }) => ({ day, part }))).toEqual([
      { day: days[0], part: parts[0] },
      { day: days[1], part: parts[1] },
    ]);
    for (const item of body.items) {
      expect(item.size).toBeGreaterThan(0);
      expect(Date.now() - Date.parse(item.uploadedAt)).toBeLessThan(60_000);
    }

    for (const [i, item] of body.items.entries()) {
      const download = await archives(f, `/${item.day}/${item.part}`);
      expect(download.status).toBe(200);
      expect(download.headers.get("Content-Type")).toBe("application/gzip");
      expect(download.headers.get("Cache-Control")).toBe("no-store");
      expect(download.headers.get("Content-Disposition")).toBe(
        `attachment; filename="sign-in-attempts-${f.tenant}-${item.day}-${item.part}.jsonl.gz"`,
      );
      const bytes = await download.arrayBuffer();
      expect(bytes.byteLength).toBe(item.size);
      expect(await attemptsIn(bytes)).toEqual(rows[i]);
    }
  });

  it("L pages by the cursor it gives out, neither repeating nor skipping", async () => {
    const { f, parts } = await archived();
    const first = (await (await archives(f, "?limit=1")).json()) as { items: ArchiveItem[]; nextCursor: string | null };
    expect(first.items.map((item) => item.part)).toEqual([parts[0]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await (await archives(f, `?limit=1&cursor=${encodeURIComponent(first.nextCursor!)}`)).json()) as {
      items: ArchiveItem[];
      nextCursor: string | null;
    };
    expect(second.items.map((item) => item.part)).toEqual([parts[1]]);

    // T: the cursor says where to resume in a listing R2 keeps under the tenant's prefix; another
    // tenant's admin replaying it lists only their own archives (none).
    const other = await adminFixture();
    const replayed = await archives(other, `?limit=1&cursor=${encodeURIComponent(first.nextCursor!)}`);
    if (replayed.status === 200) expect(((await replayed.json()) as { items: ArchiveItem[] }).items).toEqual([]);
    else await problemOf(replayed, 400, "validation_failed");
  });

  it("T another tenant's admin finds none of these archives: under its own tenant 404 not_found, under this one 401 (its token is no one here)", async () => {
    const { f, days, parts } = await archived();
    const other = await adminFixture();
    const list = (await (await archives(other)).json()) as { items: ArchiveItem[] };
    expect(list.items).toEqual([]);

    const own = await archives(other, `/${days[0]}/${parts[0]}`);
    await problemOf(own, 404, "not_found");

    const theirs = await archives(f, `/${days[0]}/${parts[0]}`, other.auth);
    await problemOf(theirs, 401, "unauthorized");
    await problemOf(await archives(f, "", other.auth), 401, "unauthorized");
  });

  it("P a signed-in user who is not an admin is 403 forbidden; no token is 401", async () => {
    const { f, days, parts } = await archived();
    const member = await memberAuth(f);
    expect((await archives(f, "", member)).status).toBe(403);
    expect((await archives(f, `/${days[0]}/${parts[0]}`, member)).status).toBe(403);
    expect((await archives(f, "", {})).status).toBe(401);
    expect((await archives(f, `/${days[0]}/${parts[0]}`, {})).status).toBe(401);
  });

  it.each([
    ["a day that is not YYYY-MM-DD", "/2026-2-1/1"],
    ["a day that is no date", "/2026-02-30/1"],
    ["a part that is not a number", "/2026-02-01/abc"],
    ["a part with its suffix", "/2026-02-01/1.jsonl.gz"],
    ["a day that climbs out of the prefix", "/..%2F..%2Fsign-in-attempts/1"],
    ["a part that names another path", "/2026-02-01/1%2F..%2F2"],
  ])("T H %s is 400 validation_failed, and names no key", async (_, path) => {
    const f = await adminFixture();
    const response = await archives(f, path);
    await problemOf(response, 400, "validation_failed");
  });

  it("L a well-formed day and part with no archive is 404 not_found", async () => {
    const f = await adminFixture();
    const response = await archives(f, "/2020-01-01/1");
    await problemOf(response, 404, "not_found");
  });
});
