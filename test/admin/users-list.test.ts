// The admin users API's listing (GET /t/{tenant}/admin/users), rules R and T: an admin of this tenant lists
// its users newest first, filtered by status or a literal search, paged by a cursor that neither repeats nor
// skips while users are added; only this tenant's users. Closes the holes of wildcard injection in the
// search, pages that lose or repeat users, and cross-tenant reads.
import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/http/cursor";
import { adminFixture, type Page } from "../support/admin";
import { problemOf } from "../support/problems";
import { FILTER_WINDOW, listUsers } from "../../src/accounts/queries";
import { database } from "../../src/db/client";
import { seedIdentity, seedUser } from "../support/users";
import { api, create, MODERATED, page, patch, person, register, usernames, type UserView, walk } from "./support";

describe("GET /t/{tenant}/admin/users", () => {
  it("R lists the tenant's users newest first, as user views", async () => {
    const f = await adminFixture();
    for (const name of ["first", "second", "third"]) await create(f, person(name));
    const { items, nextCursor } = await page(f);
    expect(items.map((user) => user.username)).toEqual(["third", "second", "first", "admin"]);
    expect(nextCursor).toBeNull();
    expect(items[0]).toMatchObject({ email: "third@example.com", displayName: "Test User", kind: "work", active: true, roles: [], identities: [] });
    expect(items[3]).toMatchObject({ id: f.adminId, roles: ["admin"] });
  });

  it("X the list and a user's page name the providers linked to each user, and only theirs", async () => {
    const f = await adminFixture();
    const linked = await create(f, person("linked"));
    await create(f, person("plain"));
    await seedIdentity(f.region, { tenantId: f.tenantId, userId: linked.id, provider: "google", subject: crypto.randomUUID() });
    await seedIdentity(f.region, { tenantId: f.tenantId, userId: linked.id, provider: "microsoft", subject: crypto.randomUUID() });

    const { items } = await page(f);
    const byName = Object.fromEntries(items.map((user) => [user.username, user.identities.sort()]));
    expect(byName).toMatchObject({ linked: ["google", "microsoft"], plain: [], admin: [] });
    const one = (await (await api(f, "GET", `/users/${linked.id}`)).json()) as UserView;
    expect(one.identities.sort()).toEqual(["google", "microsoft"]);
  });

  it("H a filtered page reads at most a window of users: a search that matches little says where to go on, and finds its match further down", async () => {
    const f = await adminFixture();
    await seedUser(f.region, f.tenantId, { username: "needle" });
    for (let i = 0; i < 24; i++) await seedUser(f.region, f.tenantId, { username: `hay-${i}` });
    const db = database(f.region.db);
    const search = (after?: { createdAt: number; id: string }) => listUsers(db, f.tenantId, { q: "needle", limit: 5, window: 10, after });

    // 26 users (the admin, the needle, 24 newer): windows of 10, 10, then the last 6.
    const first = await search();
    expect(first.items).toEqual([]);
    expect(first.resumeAfter).not.toBeNull();
    const second = await search(first.resumeAfter!);
    expect(second.items).toEqual([]);
    const third = await search(second.resumeAfter!);
    expect(third.items.map((row) => row.user.username)).toEqual(["needle"]);
    expect(third.resumeAfter).toBeNull();
    // Through the API, whose window is FILTER_WINDOW, the tenant fits in one.
    expect(FILTER_WINDOW).toBeGreaterThan(26);
    expect((await page(f, "q=needle")).items.map((user) => user.username)).toEqual(["needle"]);
  });

  it("R status=active|inactive|pending: pending is registered and never activated, inactive includes it", async () => {
    const f = await adminFixture(MODERATED);
    await create(f, person("working"));
    const gone = await create(f, person("gone"));
    expect((await patch(f, gone.id, { active: false })).status).toBe(200);
    await register(f, "waiting");
    const back = await register(f, "back");
    expect((await patch(f, back.id, { active: true })).status).toBe(200);
    const left = await register(f, "left");
    expect((await patch(f, left.id, { active: true })).status).toBe(200);
    expect((await patch(f, left.id, { active: false })).status).toBe(200);

    expect(await usernames(f)).toEqual(["left", "back", "waiting", "gone", "working", "admin"]);
    expect(await usernames(f, "status=active")).toEqual(["back", "working", "admin"]);
    expect(await usernames(f, "status=inactive")).toEqual(["left", "waiting", "gone"]);
    // Once activated an account is no longer pending, even after a later deactivation.
    expect(await usernames(f, "status=pending")).toEqual(["waiting"]);
  });

  it.each<[string, string[]]>([
    ["ALICE", ["alice"]],
    ["corp.EXAMPLE", ["bob"]],
    ["robert", ["bob"]],
    ["o'neil", ["bob"]],
    ["under_score", ["under"]],
    ["_", ["under"]],
    ["100%", ["percent"]],
    ["%", ["percent"]],
    ["\\", []],
    ["nobody", []],
  ])("R q=%s searches username, e-mail, first and last name in any case, taking percent signs and underscores literally", async (q, expected) => {
    const f = await adminFixture();
    await create(f, person("alice", { firstName: "Alice", lastName: "Anders" }));
    await create(f, person("bob", { email: "bob@corp.example", firstName: "Robert", lastName: "O'Neil" }));
    await create(f, person("under", { lastName: "Under_score" }));
    await create(f, person("underx", { lastName: "UnderXscore" }));
    await create(f, person("percent", { firstName: "100%" }));
    await create(f, person("thousand", { firstName: "1000" }));
    expect(await usernames(f, `q=${encodeURIComponent(q)}`)).toEqual(expected);
  });

  describe("R a search of any accepted length, in any script, taken literally", () => {
    const LONG_MAIL = `${"q".repeat(40)}.${"z".repeat(30)}@long-mail.example`;
    const MAXED = `${"m".repeat(50)}${"n".repeat(50)}`;

    /** Users whose fields only the query under test can match (the tenant's own name is random hex). */
    async function searchable() {
      const f = await adminFixture();
      await create(f, person("longmail", { email: LONG_MAIL }));
      await create(f, person("maxed", { lastName: MAXED }));
      await create(f, person("emile", { firstName: "Émile", lastName: "Zoë" }));
      await create(f, person("accent", { firstName: "😀".repeat(25), lastName: "é".repeat(60) }));
      await create(f, person("wild", { lastName: `${"%".repeat(30)}${"_".repeat(30)}` }));
      return f;
    }

    it.each<[string, string, string[]]>([
      // ASCII: one byte a character. D1 refuses LIKE patterns over 50 bytes, `%q%` included.
      ["1 byte, another case", "Q", ["longmail"]],
      ["49 bytes", LONG_MAIL.slice(0, 49), ["longmail"]],
      ["50 bytes", LONG_MAIL.slice(0, 50), ["longmail"]],
      ["51 bytes", LONG_MAIL.slice(0, 51), ["longmail"]],
      ["a whole long e-mail, upper case", LONG_MAIL.toUpperCase(), ["longmail"]],
      ["100 characters, the longest accepted", MAXED, ["maxed"]],
      ["multibyte letters as typed", "Émile", ["emile"]],
      ["multibyte letters with ASCII ones in another case", "ÉMILE", ["emile"]],
      ["multibyte, 30 characters in 60 bytes", "é".repeat(30), ["accent"]],
      ["astral characters, 25 of them in 100 bytes", "😀".repeat(25), ["accent"]],
      ["percent signs and underscores over 50 bytes", `${"%".repeat(30)}${"_".repeat(30)}`, ["wild"]],
      ["55 underscores, which no field holds", "_".repeat(55), []],
      ["51 percent signs, which no field holds", "%".repeat(51), []],
    ])("R q of %s is a 200 with exactly the users it matches", async (_what, q, expected) => {
      const f = await searchable();
      const response = await api(f, "GET", `/users?q=${encodeURIComponent(q)}`);
      expect(response.status, await response.clone().text()).toBe(200);
      expect(((await response.json()) as Page<UserView>).items.map((user) => user.username)).toEqual(expected);
    });

    it("R a long search pages like any other: limit and cursor visit every match once", async () => {
      const f = await adminFixture();
      for (let i = 1; i <= 5; i++) await create(f, person(`user${i}`, { email: `${"x".repeat(60)}.${i}@example.com` }));
      const pages = await walk(f, `q=${"x".repeat(60)}`, 2);
      expect(pages).toEqual([["user5", "user4"], ["user3", "user2"], ["user1"]]);
    });
  });

  it.each([
    ["all users", ""],
    ["active users", "status=active"],
    ["a search", "q=user"],
  ])("R pages of %s, with limit and cursor, visit every user exactly once, in order", async (_what, query) => {
    const f = await adminFixture();
    for (let i = 1; i <= 7; i++) await create(f, person(`user${i}`, { active: i % 3 !== 0 }));
    const all = await usernames(f, query ? `${query}&limit=100` : "limit=100");
    expect(all.length).toBeGreaterThan(3);

    const pages = await walk(f, query, 2);
    expect(pages.flat()).toEqual(all);
    expect(pages.slice(0, -1).every((names) => names.length === 2)).toBe(true);
  });

  it("R pages stay stable while users are added: the next page neither repeats nor skips", async () => {
    const f = await adminFixture();
    for (let i = 1; i <= 5; i++) await create(f, person(`user${i}`));
    const before = await usernames(f);

    const pages = await walk(f, "", 2, () => create(f, person("newcomer")));
    expect(pages.flat()).toEqual(before);
    expect(await usernames(f)).toEqual(["newcomer", ...before]);
  });

  it.each([
    ["not base64", "not-base64!"],
    ["not JSON", btoa("{not json")],
    ["an object", btoa(JSON.stringify({ createdAt: 1, id: crypto.randomUUID() }))],
    ["a bare number (a sign-in-attempts cursor)", encodeCursor(12)],
    ["a key with a non-uuid id", encodeCursor([Date.now(), "1 OR 1=1"])],
    ["a key with a non-integer time", encodeCursor(["yesterday", crypto.randomUUID()])],
  ])("R a tampered cursor (%s) is 400 validation_failed on the cursor", async (_what, cursor) => {
    const f = await adminFixture();
    const problem = await problemOf(await api(f, "GET", `/users?cursor=${encodeURIComponent(cursor)}`), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path.split(".")[0])).toEqual(expect.arrayContaining(["cursor"]));
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=-1", "limit"],
    ["limit=ten", "limit"],
    ["status=deleted", "status"],
    [`q=${"x".repeat(101)}`, "q"],
  ])("R ?%s is 400 validation_failed naming the parameter", async (query, path) => {
    const f = await adminFixture();
    const problem = await problemOf(await api(f, "GET", `/users?${query}`), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
  });

  it("R limit=100 and limit=1 are accepted", async () => {
    const f = await adminFixture();
    await create(f, person("other"));
    expect((await page(f, "limit=100")).items).toHaveLength(2);
    const one = await page(f, "limit=1");
    expect(one.items.map((user) => user.username)).toEqual(["other"]);
    expect(one.nextCursor).toEqual(expect.any(String));
  });

  it("T lists only this tenant's users", async () => {
    const [a, b] = [await adminFixture(), await adminFixture()];
    await create(a, person("in-a"));
    await create(b, person("in-b"));
    const { items } = await page(a, "limit=100");
    expect(items.map((user) => user.username)).toEqual(["in-a", "admin"]);
    expect(items.map((user) => user.id)).not.toContain(b.adminId);
  });
});
