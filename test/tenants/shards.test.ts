// A region's tenants are spread over several D1 databases, its shards (wrangler.toml: DB is shard 1, DB_2
// shard 2). The global directory records each tenant's home as {region, shard}; the tenant middleware
// serves every request of a tenant from its own shard. Pinned here: a new tenant goes to the shard the
// operator names, else to the one with the most room (D1's `meta.size_after`); a tenant on either shard
// works end to end in both regions and writes its rows only there; rule T holds across shards (tokens,
// user ids, the same person in two tenants); the operator's listing merges every shard in name order,
// page by page. Holes closed: a tenant served from the wrong database (or from none), rows of one tenant
// landing on another shard, one name living on two shards, a listing that skips or repeats a tenant where
// its pages cross shards. Provider sign-ins on shard 2: shards-federation; the clean-up: shards-clean-up.
import { describe, expect, it } from "vitest";
import { signInAttempts } from "../../src/db/schema";
import { encodeCursor } from "../../src/http/cursor";
import { tenantDirectory } from "../../src/tenants/directory";
import { testEnv } from "../support/env";
import { problemOf } from "../support/problems";
import { eu, regions, us, type Region, type RegionName } from "../support/regions";
import { insertRows, onShard, otherShard, rowsPerShard, shardSize, tenantOnShard, type ShardTenant } from "../support/shards";
import { createTenant, json, operatorAuth, tenantBody, uniqueSlug } from "../support/tenants";
import { expectOAuthError, refresh, revoke } from "../support/tokens";
import { bearer, fetchMe, PASSWORD, registration, signIn, tokensFor, WRONG_PASSWORD, type TokenResponse } from "../support/users";

const directory = () => tenantDirectory(testEnv);

/** By name: a test's arguments must be plain values (vitest reports them; a D1 binding cannot be). */
const REGIONS: RegionName[] = ["eu", "us"];

const createResponse = (region: Region, name: string, overrides: Record<string, unknown> = {}) =>
  region.fetch("/operator/tenants", json(tenantBody(name, overrides), operatorAuth));

/** POST /operator/tenants without `shard`: the region places the tenant. */
async function placed(region: Region): Promise<{ name: string; shard: number }> {
  const name = uniqueSlug("placed");
  const { shard: _none, ...body } = tenantBody(name);
  const response = await region.fetch("/operator/tenants", json(body, operatorAuth));
  expect(response.status, await response.clone().text()).toBe(201);
  return { name, shard: ((await response.json()) as { shard: number }).shard };
}

/** Makes shard `shard` of `region` larger than every other one by `margin` bytes, with sign-in attempts of a tenant on it. */
async function growBeyondTheOthers(region: Region, shard: number, margin = 1024 * 1024) {
  const { id } = await tenantOnShard(region, shard);
  const d1 = onShard(region, shard).db;
  // A long user agent, as some clients send: each row costs about a kilobyte.
  const userAgent = `Padding/1.0 (${"x".repeat(1000)})`;
  for (let round = 0; round < 200; round++) {
    const sizes = await Promise.all(region.shards.map(shardSize));
    const others = Math.max(...sizes.filter((_, index) => index !== shard - 1));
    const missing = others + margin - sizes[shard - 1]!;
    if (missing < 0) return;
    const rows = Math.min(4_000, Math.ceil(missing / 1_000) + 50);
    const at = new Date();
    await insertRows(
      d1,
      signInAttempts,
      Array.from({ length: rows }, (_, i) => ({ tenantId: id, at, login: `padding-${i}`, success: false, code: "invalid_credentials", method: "password", userAgent })),
    );
  }
  throw new Error(`shard ${shard} of ${region.name} did not grow`);
}

describe("H where a new tenant lives", () => {
  it("H D1 reports each shard's size after a query (meta.size_after), which the placement reads", async () => {
    for (const d1 of [...eu.shards, ...us.shards]) expect(await shardSize(d1)).toBeGreaterThan(0);
  });

  it.each(REGIONS)("H without `shard` a new tenant goes to the shard with the most room, whichever it is (%s)", async (regionName) => {
    const region = regions[regionName];
    for (const fuller of [1, 2]) {
      await growBeyondTheOthers(region, fuller);
      const { name, shard } = await placed(region);
      expect(shard).toBe(otherShard(fuller));
      expect(await directory().homeOf(name)).toEqual({ region: region.name, shard: otherShard(fuller) });
      const [onOne, onTwo] = await Promise.all(
        region.shards.map((d1) => d1.prepare("SELECT count(*) AS n FROM tenants WHERE slug = ?").bind(name).first<{ n: number }>()),
      );
      expect([onOne?.n, onTwo?.n]).toEqual(fuller === 1 ? [0, 1] : [1, 0]);
      expect((await region.fetch(`/t/${name}`)).status).toBe(200);
    }
  });

  it.each(REGIONS)("H `shard` names the tenant's home; the answer and the directory say which (%s)", async (regionName) => {
    const region = regions[regionName];
    for (const shard of [1, 2]) {
      const tenant = await tenantOnShard(region, shard);
      expect(tenant.view).toMatchObject({ name: tenant.name, region: region.name, shard });
      expect(await directory().homeOf(tenant.name)).toEqual({ region: region.name, shard });
      expect(await rowsPerShard(region, "tenants", tenant.id)).toEqual(shard === 1 ? [1, 0] : [0, 1]);
    }
  });

  it.each<[string, unknown]>([
    ["a shard the region does not have (3)", 3],
    ["shard 0", 0],
    ["a fraction", 1.5],
    ["a string", "2"],
  ])("%s is 400 validation_failed on the path shard, and nothing is created", async (_what, shard) => {
    const name = uniqueSlug("noshard");
    const problem = await problemOf(await createResponse(eu, name, { shard }), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toEqual(["shard"]);
    expect(await directory().homeOf(name)).toBeNull();
    expect((await eu.fetch(`/t/${name}`)).status).toBe(404);
  });

  it("T a name taken on one shard is 409 tenant_exists on the other; the tenant stays where it was", async () => {
    for (const shard of [1, 2]) {
      const { name, id } = await tenantOnShard(eu, shard);
      const problem = await problemOf(await createResponse(eu, name, { shard: otherShard(shard) }), 409, "tenant_exists");
      expect(problem.region).toBe("eu");
      expect(await directory().homeOf(name)).toEqual({ region: "eu", shard });
      for (const d1 of eu.shards) {
        const rows = await d1.prepare("SELECT id FROM tenants WHERE slug = ?").bind(name).all<{ id: string }>();
        expect(rows.results.map((row) => row.id)).toEqual(d1 === onShard(eu, shard).db ? [id] : []);
      }
    }
  });

  it("T of concurrent creations of one name on both shards, exactly one succeeds, on the shard the directory names", async () => {
    const name = uniqueSlug("race");
    const responses = await Promise.all([1, 2, 1, 2, 1, 2].map((shard) => createResponse(eu, name, { shard })));
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const winner = (await responses.find((response) => response.status === 201)!.json()) as { id: string; shard: number };
    expect(await directory().homeOf(name)).toEqual({ region: "eu", shard: winner.shard });
    expect(await rowsPerShard(eu, "tenants", winner.id)).toEqual(winner.shard === 1 ? [1, 0] : [0, 1]);
    const copies = await Promise.all(eu.shards.map((d1) => d1.prepare("SELECT count(*) AS n FROM tenants WHERE slug = ?").bind(name).first<{ n: number }>()));
    expect(copies.map((row) => row?.n)).toEqual(winner.shard === 1 ? [1, 0] : [0, 1]);
  });
});

describe("T a tenant on either shard, end to end", () => {
  it.each([
    ["eu", 1],
    ["eu", 2],
    ["us", 1],
    ["us", 2],
  ] as const)("T %s shard %i: card, sign-in, /me, refresh, admin users, registration, revocation; every row on its shard", async (regionName, shard) => {
    const region = regions[regionName];
    const tenant = await tenantOnShard(region, shard);
    const home = tenant.region;
    const headers = (tokens: TokenResponse) => bearer(tokens.access_token);

    const card = await region.fetch(`/t/${tenant.name}`);
    expect(card.status).toBe(200);
    expect(await card.json()).toMatchObject({ tenant: tenant.name, region: region.name, registrationAllowed: true });

    // MyQ sign-in of the first admin, /me, and a refresh whose new access token is accepted.
    const admin = await tokensFor(region, tenant.name, "admin");
    expect(await (await fetchMe(region, tenant.name, admin.access_token)).json()).toMatchObject({ id: tenant.adminId, username: "admin" });
    const refreshed = await refresh(region, tenant.name, admin.refresh_token);
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as TokenResponse;
    expect((await fetchMe(region, tenant.name, next.access_token)).status).toBe(200);

    // The admin API: a new work account, read back, listed, and signed in.
    const created = await region.fetch(
      `/t/${tenant.name}/admin/users`,
      json({ username: "worker", email: "worker@example.com", password: PASSWORD }, headers(next)),
    );
    expect(created.status, await created.clone().text()).toBe(201);
    const worker = (await created.json()) as { id: string };
    expect((await region.fetch(`/t/${tenant.name}/admin/users/${worker.id}`, { headers: headers(next) })).status).toBe(200);
    const listed = (await (await region.fetch(`/t/${tenant.name}/admin/users`, { headers: headers(next) })).json()) as { items: { username: string }[] };
    expect(listed.items.map((user) => user.username).sort()).toEqual(["admin", "worker"]);
    await tokensFor(region, tenant.name, "worker@example.com");

    // Self-registration, signed in at once.
    const registered = await registration(region, tenant.name, { username: "jane", email: "jane@example.com" });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const jane = (await registered.json()) as TokenResponse & { user: { id: string } };
    expect(await (await fetchMe(region, tenant.name, jane.access_token)).json()).toMatchObject({ id: jane.user.id, username: "jane" });
    const renamed = await region.fetch(`/t/${tenant.name}/me`, { ...json({ username: "jane.doe" }, headers(jane)), method: "PATCH" });
    expect(renamed.status, await renamed.clone().text()).toBe(200);
    // Revocation (RFC 7009) ends her session there: her access token is refused at the next request.
    expect((await revoke(region, tenant.name, jane.refresh_token)).status).toBe(200);
    expect((await fetchMe(region, tenant.name, jane.access_token)).status).toBe(401);

    // Failures are recorded and counted there too (rule L): a wrong password, an unknown login.
    expect((await signIn(region, tenant.name, { login: "jane.doe", password: WRONG_PASSWORD })).status).toBe(401);
    expect((await signIn(region, tenant.name, { login: "nobody-here", password: WRONG_PASSWORD })).status).toBe(401);
    const attempts = (await (await region.fetch(`/t/${tenant.name}/admin/sign-in-attempts`, { headers: headers(next) })).json()) as {
      items: { login: string; success: boolean }[];
    };
    expect(attempts.items.map(({ login, success }) => ({ login, success }))).toEqual([
      { login: "nobody-here", success: false },
      { login: "jane.doe", success: false },
      { login: "worker@example.com", success: true },
      { login: "admin", success: true },
    ]);

    // Every row of the tenant is on its shard, none on the other.
    const expected = (n: number) => (shard === 1 ? [n, 0] : [0, n]);
    expect(await rowsPerShard(region, "tenants", tenant.id)).toEqual(expected(1));
    expect(await rowsPerShard(region, "users", tenant.id)).toEqual(expected(3));
    expect(await rowsPerShard(region, "sessions", tenant.id)).toEqual(expected(3));
    expect(await rowsPerShard(region, "sign_in_attempts", tenant.id)).toEqual(expected(4));
    expect(await rowsPerShard(region, "unknown_login_failures", tenant.id)).toEqual(expected(1));
    expect(await home.db.prepare("SELECT username, failed_sign_ins FROM users WHERE id = ?").bind(jane.user.id).first()).toEqual({
      username: "jane.doe",
      failed_sign_ins: 1,
    });
    expect(await home.db.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NOT NULL").bind(jane.user.id).first()).toEqual({
      n: 1,
    });
  });

  it("T a tenant on shard 2 of one region is 404 in the other, naming its home region, both ways", async () => {
    const [inEu, inUs] = [await tenantOnShard(eu, 2), await tenantOnShard(us, 2)];
    for (const [region, tenant, home] of [[us, inEu, "eu"], [eu, inUs, "us"]] as const) {
      const problem = await problemOf(await region.fetch(`/t/${tenant.name}`), 404, "tenant_not_found");
      expect(problem.region).toBe(home);
    }
  });

  it("T a tenant is served at once after its creation, even right after a request for its name found none", async () => {
    for (const [region, shard] of [[eu, 1], [eu, 2], [us, 2]] as const) {
      const name = uniqueSlug("fresh");
      // The name is asked for (a client early, or an operator checking it is free), then created: the
      // isolate that created it must not keep serving its earlier "no such tenant".
      await problemOf(await region.fetch(`/t/${name}`), 404, "tenant_not_found");
      await createTenant(region, name, { shard });
      expect((await region.fetch(`/t/${name}`)).status, `${region.name} shard ${shard}`).toBe(200);
    }
  });
});

describe("T tenants on different shards never reach each other", () => {
  /** A tenant on shard 1 and one on shard 2, each with its admin signed in. */
  async function pair(region: Region = eu) {
    const signedIn = async (tenant: ShardTenant) => ({ ...tenant, admin: await tokensFor(region, tenant.name, "admin") });
    return [await signedIn(await tenantOnShard(region, 1)), await signedIn(await tenantOnShard(region, 2))] as const;
  }

  it("T an access token of a tenant on one shard is 401 at a tenant on the other, both ways; at home it works", async () => {
    const [one, two] = await pair();
    for (const [from, at] of [[one, two], [two, one]] as const) {
      for (const path of ["/me", "/admin/users", "/admin/settings"]) {
        const response = await eu.fetch(`/t/${at.name}${path}`, { headers: bearer(from.admin.access_token) });
        expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
        await problemOf(response, 401, "unauthorized");
      }
      expect((await fetchMe(eu, from.name, from.admin.access_token)).status).toBe(200);
    }
  });

  it("T a refresh token of a tenant on one shard is invalid_grant at a tenant on the other, and still works at home", async () => {
    const [one, two] = await pair();
    for (const [from, at] of [[one, two], [two, one]] as const) {
      await expectOAuthError(await refresh(eu, at.name, from.admin.refresh_token), 400, "invalid_grant");
      expect((await refresh(eu, from.name, from.admin.refresh_token)).status).toBe(200);
    }
  });

  it("T an admin of a tenant on one shard finds no user of a tenant on the other (404 not_found), read or changed", async () => {
    const [one, two] = await pair();
    for (const [from, at] of [[one, two], [two, one]] as const) {
      const auth = bearer(from.admin.access_token);
      const before = await at.region.db.prepare("SELECT * FROM users WHERE id = ?").bind(at.adminId).first();
      await problemOf(await eu.fetch(`/t/${from.name}/admin/users/${at.adminId}`, { headers: auth }), 404, "not_found");
      const patched = await eu.fetch(`/t/${from.name}/admin/users/${at.adminId}`, { ...json({ active: false }, auth), method: "PATCH" });
      await problemOf(patched, 404, "not_found");
      expect(await at.region.db.prepare("SELECT * FROM users WHERE id = ?").bind(at.adminId).first()).toEqual(before);
      expect((await fetchMe(eu, at.name, at.admin.access_token)).status).toBe(200);
    }
  });

  it.each(REGIONS)("T the same username and e-mail register independently in tenants on both shards (%s)", async (regionName) => {
    const region = regions[regionName];
    const [one, two] = [await tenantOnShard(region, 1), await tenantOnShard(region, 2)];
    const person = { username: "jane", email: "jane@example.com" };
    const passwords = { [one.name]: PASSWORD, [two.name]: "another horse battery" };
    const ids: string[] = [];
    for (const tenant of [one, two]) {
      const response = await registration(region, tenant.name, { ...person, password: passwords[tenant.name] });
      expect(response.status, await response.clone().text()).toBe(201);
      ids.push(((await response.json()) as { user: { id: string } }).user.id);
    }
    expect(ids[0]).not.toBe(ids[1]);
    // Each signs in only with its own tenant's password: the other tenant's jane is no one here.
    for (const [tenant, other] of [[one, two], [two, one]] as const) {
      await tokensFor(region, tenant.name, "JANE@example.com", passwords[tenant.name]);
      await problemOf(await signIn(region, tenant.name, { login: "jane", password: passwords[other.name] }), 401, "invalid_credentials");
      expect(await rowsPerShard(region, "users", tenant.id)).toEqual(tenant.shard === 1 ? [2, 0] : [0, 2]);
    }
  });
});

describe("GET /operator/tenants across shards", () => {
  type Listing = { items: { name: string; shard: number; region: string }[]; nextCursor: string | null };

  async function listing(region: Region, query: string): Promise<Listing> {
    const response = await region.fetch(`/operator/tenants?${query}`, { headers: operatorAuth });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Listing;
  }

  it.each(REGIONS)("lists the tenants of both shards in name order with their shard, page by page at any size (%s)", async (regionName) => {
    const region = regions[regionName];
    const prefix = uniqueSlug("ls");
    const shards = [2, 1, 1, 2, 2, 1, 2];
    const mine = shards.map((shard, i) => ({ name: `${prefix}-${i}`, shard }));
    for (const { name, shard } of mine) await createTenant(region, name, { shard });

    for (const limit of [1, 2, 3, 50]) {
      // From just before the prefix, until past it; other tests' tenants may sit among or after these.
      const seen: Listing["items"] = [];
      let cursor: string | null = encodeCursor(prefix);
      do {
        const page: Listing = await listing(region, `limit=${limit}&cursor=${cursor}`);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items);
        cursor = page.items.at(-1)!.name.startsWith(prefix) ? page.nextCursor : null;
      } while (cursor);
      const names = seen.map((tenant) => tenant.name);
      expect(names).toEqual([...names].sort());
      expect(new Set(names).size).toBe(names.length);
      const ours = seen.filter((tenant) => tenant.name.startsWith(prefix)).map(({ name, shard, region }) => ({ name, shard, region }));
      expect(ours, `limit ${limit}`).toEqual(mine.map((tenant) => ({ ...tenant, region: region.name })));
    }
  });

  it("past the last tenant of every shard the page is empty, with no next cursor", async () => {
    expect(await listing(eu, `cursor=${encodeCursor("z".repeat(63))}`)).toEqual({ items: [], nextCursor: null });
  });
});
