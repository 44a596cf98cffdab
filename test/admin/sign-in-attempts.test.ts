// The admin's audit of sign-ins (GET /t/{tenant}/admin/sign-in-attempts), rules L, P and T: every attempt,
// success or failure, newest first, with its time, the login as typed, the user it resolved to, the outcome,
// method, IP, client and user agent; paged by a cursor that neither repeats nor skips while attempts keep
// coming; only this tenant's attempts, only for its admins. Closes the holes of attempts missing from the
// audit or missing their context, pages that lose records, a forged cursor, and one tenant (or a non-admin)
// reading another's sign-in history.
import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/http/cursor";
import { adminFixture, type AdminFixture, everyPage, listPage } from "../support/admin";
import { eu, us, type Region } from "../support/regions";
import { bearer, CLIENT_ID, PASSWORD, seedUser, signIn, tokensFor, WRONG_PASSWORD } from "../support/users";
import { problemOf } from "../support/problems";


interface AttemptView {
  at: string;
  login: string;
  userId: string | null;
  success: boolean;
  code: string | null;
  method: string;
  ip: string | null;
  client: string | null;
  userAgent: string | null;
}

const IP = "203.0.113.7";
const USER_AGENT = "PrintID/3.2 (iPhone; iOS 18.1)";
type Fixture = AdminFixture;

/** A tenant of its own (lockout after 3 failures) and its admin, signed in: the tenant's first attempt. */
const fixture = (region: Region = eu) => adminFixture({ lockout: { maxAttempts: 3, lockoutSeconds: 60 } }, region);

/** A sign-in from the phone: with the client's address and user agent as Cloudflare passes them on. */
function signInFromPhone(f: Fixture, login: string, password: string) {
  return signIn(f.region, f.tenant, { login, password }, { "CF-Connecting-IP": IP, "User-Agent": USER_AGENT });
}

function attempts(f: Fixture, query = "", auth = f.auth) {
  return f.region.fetch(`/t/${f.tenant}/admin/sign-in-attempts${query ? `?${query}` : ""}`, { headers: auth });
}

const page = (f: Fixture, query = "") => listPage<AttemptView>(f, "/sign-in-attempts", query);

/** Every page, `limit` at a time; `between` runs after the first page. */
const walk = (f: Fixture, limit: number, between?: () => Promise<unknown>) => everyPage<AttemptView>(f, "/sign-in-attempts", limit, { between });


/** `count` failed sign-ins of unknown logins `${prefix}1`, `${prefix}2`, …, one after another. */
async function unknownLogins(f: Fixture, prefix: string, count: number) {
  for (let i = 1; i <= count; i++) expect((await signInFromPhone(f, `${prefix}${i}`, WRONG_PASSWORD)).status).toBe(401);
}

describe("GET /t/{tenant}/admin/sign-in-attempts", () => {
  it("L lists every attempt newest first, with time, login as typed, user, outcome, method, IP, client and user agent", async () => {
    for (const region of [eu, us]) {
      const f = await fixture(region);
      const ann = await seedUser(f.region, f.tenantId, { username: "ann", email: "ann@example.com" });
      const gone = await seedUser(f.region, f.tenantId, { username: "gone", active: false, activatedAt: Date.now() });
      const start = Date.now();

      expect((await signInFromPhone(f, "ANN@example.com", PASSWORD)).status).toBe(200);
      expect((await signInFromPhone(f, "ann", WRONG_PASSWORD)).status).toBe(401);
      expect((await signInFromPhone(f, "ghost", WRONG_PASSWORD)).status).toBe(401);
      expect((await signInFromPhone(f, "gone", PASSWORD)).status).toBe(403);
      expect((await signInFromPhone(f, "ann", WRONG_PASSWORD)).status).toBe(401);
      expect((await signInFromPhone(f, "ann", WRONG_PASSWORD)).status).toBe(429); // the third failure locks
      expect((await signInFromPhone(f, "ann", PASSWORD)).status).toBe(429);
      const end = Date.now();

      const { items, nextCursor } = await page(f);
      expect(nextCursor).toBeNull();
      const phone = { method: "password", factor: null, ip: IP, client: CLIENT_ID, userAgent: USER_AGENT };
      expect(items.map(({ at: _at, ...rest }) => rest)).toEqual([
        { ...phone, login: "ann", userId: ann.id, success: false, code: "account_locked" },
        // The failure that reached the limit is recorded as what it answered: the lock.
        { ...phone, login: "ann", userId: ann.id, success: false, code: "account_locked" },
        { ...phone, login: "ann", userId: ann.id, success: false, code: "invalid_credentials" },
        { ...phone, login: "gone", userId: gone.id, success: false, code: "account_inactive" },
        { ...phone, login: "ghost", userId: null, success: false, code: "invalid_credentials" },
        { ...phone, login: "ann", userId: ann.id, success: false, code: "invalid_credentials" },
        { ...phone, login: "ANN@example.com", userId: ann.id, success: true, code: null },
        // The admin's own sign-in by the fixture, sent without those headers.
        { method: "password", factor: null, ip: null, client: CLIENT_ID, userAgent: null, login: "admin", userId: f.adminId, success: true, code: null },
      ]);

      const times = items.map((item) => Date.parse(item.at));
      for (const item of items) expect(item.at).toBe(new Date(Date.parse(item.at)).toISOString());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      for (const time of times.slice(0, -1)) {
        expect(time).toBeGreaterThanOrEqual(start);
        expect(time).toBeLessThanOrEqual(end);
      }
    }
  });

  it("L pages with limit and cursor visit every attempt exactly once, in order", async () => {
    const f = await fixture();
    await unknownLogins(f, "guess", 7);
    const all = (await page(f, "limit=100")).items;
    expect(all).toHaveLength(8);

    const pages = await walk(f, 3);
    expect(pages.map((items) => items.length)).toEqual([3, 3, 2]);
    expect(pages.flat()).toEqual(all);
  });

  it("L pages stay stable while attempts keep coming: the next page neither repeats nor skips", async () => {
    const f = await fixture();
    await unknownLogins(f, "early", 5);
    const before = (await page(f)).items.map((item) => item.login);

    const pages = await walk(f, 2, () => unknownLogins(f, "late", 2));
    expect(pages.flat().map((item) => item.login)).toEqual(before);
    expect((await page(f)).items.map((item) => item.login)).toEqual(["late2", "late1", ...before]);
  });

  it.each([
    ["not base64", "not-base64!"],
    ["not JSON", btoa("{not json")],
    ["a string", encodeCursor("12")],
    ["a negative id", encodeCursor(-1)],
    ["a fractional id", encodeCursor(1.5)],
    ["a users-list cursor", encodeCursor([Date.now(), crypto.randomUUID()])],
  ])("L a tampered cursor (%s) is 400 validation_failed on the cursor", async (_what, cursor) => {
    const f = await fixture();
    const problem = await problemOf(await attempts(f, `cursor=${encodeURIComponent(cursor)}`), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain("cursor");
  });

  it.each(["limit=0", "limit=101", "limit=many"])("L ?%s is 400 validation_failed on the limit", async (query) => {
    const f = await fixture();
    const problem = await problemOf(await attempts(f, query), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain("limit");
  });
});

describe("T P whose attempts, for whom", () => {
  it("T lists only this tenant's attempts, even for the same login, and even with another tenant's cursor", async () => {
    const [a, b] = [await fixture(), await fixture()];
    await unknownLogins(a, "a-guess", 2);
    await unknownLogins(b, "b-guess", 4);
    // The same login, "admin", exists in both tenants: each tenant sees its own admin only.
    expect((await signInFromPhone(b, "admin", WRONG_PASSWORD)).status).toBe(401);

    const ofA = (await page(a, "limit=100")).items;
    expect(ofA.map((item) => item.login)).toEqual(["a-guess2", "a-guess1", "admin"]);
    expect(ofA.map((item) => item.userId)).toEqual([null, null, a.adminId]);

    // A cursor taken from B's list resumes inside A's list only.
    const bCursor = (await page(b, "limit=1")).nextCursor!;
    expect((await page(a, `limit=100&cursor=${bCursor}`)).items).toEqual(ofA);

    // And A's admin is not B's admin.
    await problemOf(await attempts(b, "", a.auth), 401, "unauthorized");
  });

  it("P a signed-in user who is not an admin is 403 forbidden; no token is 401", async () => {
    const f = await fixture();
    const member = await seedUser(f.region, f.tenantId, { username: "member" });
    const memberAuth = bearer((await tokensFor(f.region, f.tenant, member.username)).access_token);
    await problemOf(await attempts(f, "", memberAuth), 403, "forbidden");
    const anonymous = await attempts(f, "", {});
    await problemOf(anonymous, 401, "unauthorized");
    expect(anonymous.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
  });
});
