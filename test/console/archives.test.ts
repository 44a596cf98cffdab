// The console's view of the sign-in attempts archive (rules L, T, P): the attempts page links to a page
// of the tenant's archived parts by day, each a download served by the console (session-guarded, gzip, an
// attachment). Holes closed: an archive an admin cannot reach from the console, and one tenant's console
// serving another tenant's archive or a key named by a malformed day or part.
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { attemptsIn, dayOf, dayStart, pruneWith, seedAttempts } from "../audit/support";
import { consoleOf, expectSecurityHeaders, page, signedInBrowser } from "./support";

const HOUR = 3600_000;

async function archivedTenant() {
  const { name, id } = await openTenant(eu);
  const day = dayStart(100);
  const rows = await seedAttempts(id, [day + HOUR, day + 2 * HOUR]);
  await pruneWith(1_000);
  return { name, day: dayOf(day), part: String(rows[0]!.id), rows: rows.slice(0, 2) };
}

describe("archived sign-in attempts in the console", () => {
  it("L the attempts page links to the archives; each archived day is listed and downloads as its attempts", async () => {
    const { name, day, part, rows } = await archivedTenant();
    const browser = await signedInBrowser(name);
    const attempts = await page(browser, `${consoleOf(name)}/sign-in-attempts`);
    expect(attempts.html).toContain(`href="${consoleOf(name)}/sign-in-attempts/archives"`);

    const response = await browser.get(`${consoleOf(name)}/sign-in-attempts/archives`);
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
    const html = await response.text();
    const link = `${consoleOf(name)}/sign-in-attempts/archives/${day}/${part}`;
    expect(html).toContain(`<time datetime="${day}">${day}</time>`);
    expect(html).toContain(`href="${link}"`);

    const download = await browser.get(link);
    expect(download.status).toBe(200);
    expect(download.headers.get("Content-Type")).toBe("application/gzip");
    expect(download.headers.get("Cache-Control")).toBe("no-store");
    expect(download.headers.get("Content-Disposition")).toBe(`attachment; filename="sign-in-attempts-${name}-${day}-${part}.jsonl.gz"`);
    expect(await attemptsIn(download)).toEqual(rows);
  });

  it("L with nothing archived, the page says so", async () => {
    const { name } = await openTenant(eu);
    const browser = await signedInBrowser(name);
    expect((await page(browser, `${consoleOf(name)}/sign-in-attempts/archives`)).html).toContain("No archived attempts yet.");
  });

  it("T another tenant's console serves none of these archives: its own path is 404, this tenant's needs this tenant's session", async () => {
    const { name, day, part } = await archivedTenant();
    const other = await openTenant(eu);
    const browser = await signedInBrowser(other.name);
    const own = await browser.get(`${consoleOf(other.name)}/sign-in-attempts/archives/${day}/${part}`);
    expect(own.status).toBe(404);
    expect(own.headers.get("Content-Type")).toMatch(/^text\/html/);
    const theirs = await browser.get(`${consoleOf(name)}/sign-in-attempts/archives/${day}/${part}`);
    expect(theirs.status).toBe(303);
    expect(theirs.headers.get("Location")).toContain(`${consoleOf(name)}/sign-in`);
  });

  it.each(["/2026-02-30/1", "/..%2F..%2Fx/1", "/2026-02-01/1.jsonl.gz", "/2026-02-01/abc"])(
    "T H a malformed day or part (%s) is a 400 page, naming no key",
    async (path) => {
      const { name } = await openTenant(eu);
      const browser = await signedInBrowser(name);
      const response = await browser.get(`${consoleOf(name)}/sign-in-attempts/archives${path}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    },
  );
});
