// Sign-in with Apple, Google and Microsoft for tenants on a region's second shard. The redirect flow's
// callback is one per region, so the `state` sent to the provider names its tenant ({tenant}.{secret}) and
// the callback finds the flow on that tenant's shard. Provider ID tokens of the native flow are spent
// region-wide (rule S: one token, one sign-in, in any tenant): their hashes live on shard 1 whatever the
// tenant's shard, and a sign-in that fails to open its session gives its token back. Holes closed: a flow
// written to one shard and looked for on another, a state re-labelled with another tenant's name, a token
// replayed at a tenant on another shard, a token lost to a failed write on shard 2.
import { describe, expect, it } from "vitest";
import {
  appRedirect,
  callback,
  followProvider,
  meOf,
  mintIdToken,
  newSubject,
  postIdToken,
  redeem,
  signedIn,
  startAuthorize,
} from "../support/oidc";
import { problemOf } from "../support/problems";
import { eu, regions, type RegionName } from "../support/regions";
import { sessionCount } from "../support/rows";
import { faultyRegion } from "../support/faults";
import { rowsPerShard, tenantOnShard } from "../support/shards";
import { sha256Base64url } from "../support/tokens";

const person = () => ({ sub: `native-${crypto.randomUUID()}`, given_name: "Rey" });

/** On which of eu's shards the token is remembered as used. */
async function usedOn(idToken: string): Promise<number[]> {
  const hash = await sha256Base64url(idToken);
  const found = await Promise.all(eu.shards.map((d1) => d1.prepare("SELECT count(*) AS n FROM used_id_tokens WHERE token_hash = ?").bind(hash).first<{ n: number }>()));
  return found.map((row) => row?.n ?? 0);
}

describe("S the redirect flow of a tenant on shard 2", () => {
  it.each<RegionName>(["eu", "us"])("S T the flow is kept on shard 2, and the region's callback finishes it there (%s)", async (regionName) => {
    const region = regions[regionName];
    const tenant = await tenantOnShard(region, 2);
    const started = await startAuthorize(region, tenant.name, { provider: "google", account: "work" });
    expect(await rowsPerShard(region, "oauth_flows", tenant.id)).toEqual([0, 1]);

    const answer = await followProvider(started.location);
    expect(answer.state.startsWith(`${tenant.name}.`)).toBe(true);
    const redirect = await appRedirect(await callback(region, "google", { code: answer.code, state: answer.state }));
    expect(redirect).toMatchObject({ error: null, state: started.appState });
    // The flow is over; the app's code waits on the same shard.
    expect(await rowsPerShard(region, "oauth_flows", tenant.id)).toEqual([0, 0]);
    expect(await rowsPerShard(region, "authorization_codes", tenant.id)).toEqual([0, 1]);

    const response = await redeem(region, tenant.name, redirect.code!, started.verifier);
    expect(response.status, await response.clone().text()).toBe(200);
    const me = await meOf(region, tenant.name, ((await response.json()) as { access_token: string }).access_token);
    expect(me.identities).toEqual(["google"]);
    for (const [table, rows] of [["users", 2], ["external_identities", 1], ["sessions", 1], ["sign_in_attempts", 1]] as const) {
      expect(await rowsPerShard(region, table, tenant.id), table).toEqual([0, rows]);
    }
  });

  it("S T a state re-labelled with the name of a tenant on the other shard finds no flow; the real one still finishes", async () => {
    for (const [ownerShard, otherShard] of [[2, 1], [1, 2]]) {
      const [owner, other] = [await tenantOnShard(eu, ownerShard!), await tenantOnShard(eu, otherShard!)];
      const started = await startAuthorize(eu, owner.name, { provider: "google", account: "work" });
      const answer = await followProvider(started.location);
      const relabelled = `${other.name}${answer.state.slice(owner.name.length)}`;
      const problem = await problemOf(await callback(eu, "google", { code: answer.code, state: relabelled }), 400, "validation_failed");
      expect(problem.detail).toMatch(/^This sign-in has expired or was already used/);
      expect(await rowsPerShard(eu, "oauth_flows", owner.id)).toEqual(owner.shard === 1 ? [1, 0] : [0, 1]);

      const redirect = await appRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }));
      expect(redirect.error).toBeNull();
      expect((await redeem(eu, owner.name, redirect.code!, started.verifier)).status).toBe(200);
      expect(await rowsPerShard(eu, "sessions", other.id)).toEqual([0, 0]);
    }
  });
});

describe("S one provider ID token, one sign-in, across shards", () => {
  it("S T a token used at a tenant on one shard is refused at a tenant on the other, both ways; it is remembered on shard 1 only", async () => {
    for (const [firstShard, secondShard] of [[2, 1], [1, 2]]) {
      const [first, second] = [await tenantOnShard(eu, firstShard!), await tenantOnShard(eu, secondShard!)];
      const idToken = await mintIdToken("google", person());
      await signedIn(await postIdToken(eu, first.name, "google", { idToken }));
      expect(await usedOn(idToken)).toEqual([1, 0]);

      const again = await problemOf(await postIdToken(eu, second.name, "google", { idToken }), 401, "invalid_credentials");
      expect(again.detail).toBe("This ID token has already been used to sign in: get a new one from the provider.");
      expect(await rowsPerShard(eu, "sessions", second.id)).toEqual([0, 0]);
      // The refusal is recorded (rule L) on the second tenant's own shard.
      expect(await rowsPerShard(eu, "sign_in_attempts", second.id)).toEqual(second.shard === 1 ? [1, 0] : [0, 1]);
    }
  });

  it("S H concurrent uses of one token at tenants on both shards: exactly one signs in, every other one is 401", async () => {
    for (let round = 0; round < 3; round++) {
      const [one, two] = [await tenantOnShard(eu, 1), await tenantOnShard(eu, 2)];
      const idToken = await mintIdToken("google", person());
      const responses = await Promise.all([one, two, one, two, one, two].map((tenant) => postIdToken(eu, tenant.name, "google", { idToken })));
      expect(responses.map((response) => response.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
      const sessions = [...(await rowsPerShard(eu, "sessions", one.id)), ...(await rowsPerShard(eu, "sessions", two.id))];
      expect(sessions.reduce((sum, n) => sum + n, 0)).toBe(1);
      expect(await usedOn(idToken)).toEqual([1, 0]);
    }
  });

  it("X T the same provider identity at tenants on both shards is a separate user in each", async () => {
    const [one, two] = [await tenantOnShard(eu, 1), await tenantOnShard(eu, 2)];
    const who = { sub: newSubject(), given_name: "Sam" };
    const ids = [];
    for (const tenant of [one, two]) {
      const tokens = await signedIn(await postIdToken(eu, tenant.name, "google", { idToken: await mintIdToken("google", who) }));
      ids.push((await meOf(eu, tenant.name, tokens.access_token)).id);
      expect(await rowsPerShard(eu, "external_identities", tenant.id)).toEqual(tenant.shard === 1 ? [1, 0] : [0, 1]);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("S H a sign-in at a tenant on shard 2 whose session write fails gives the token back: the same token then signs in", async () => {
    const tenant = await tenantOnShard(eu, 2);
    const who = person();
    const first = await signedIn(await postIdToken(eu, tenant.name, "google", { idToken: await mintIdToken("google", who) }));
    const me = await meOf(eu, tenant.name, first.access_token);
    // D1 calls of a native sign-in of a known identity on shard 2: 1 the tenant, 2 the identity, 3 rule M's
    // gate (the person's factors), 4 the session, the last. The token is spent on shard 1 between 2 and 4,
    // and given back if 4 fails.
    const counting = faultyRegion({ kind: "nth", n: 99 }, 400, 2);
    await signedIn(await postIdToken(counting.region, tenant.name, "google", { idToken: await mintIdToken("google", who) }));
    expect(counting.state.calls).toBe(4);

    const idToken = await mintIdToken("google", who);
    const { region, state } = faultyRegion({ kind: "nth", n: 4 }, 400, 2);
    await problemOf(await postIdToken(region, tenant.name, "google", { idToken }), 503, "unavailable");
    expect(state.failed).toBe(1);
    expect(await usedOn(idToken)).toEqual([0, 0]);
    expect(await sessionCount(tenant.region, me.id)).toBe(2);

    await signedIn(await postIdToken(eu, tenant.name, "google", { idToken }));
    expect(await sessionCount(tenant.region, me.id)).toBe(3);
    expect(await usedOn(idToken)).toEqual([1, 0]);
  });

  it.each([1, 2])(
    "S H on shard %i, a session write that committed though its answer was lost keeps the token spent: a second use is 401",
    async (shard) => {
      // The rule create.ts follows for a tenant's claim: what may have been written is not given back.
      const tenant = await tenantOnShard(eu, shard);
      const who = person();
      const first = await signedIn(await postIdToken(eu, tenant.name, "google", { idToken: await mintIdToken("google", who) }));
      const me = await meOf(eu, tenant.name, first.access_token);
      const idToken = await mintIdToken("google", who);
      const { region } = faultyRegion({ kind: "nth", n: 4, lost: true }, 400, shard);
      await problemOf(await postIdToken(region, tenant.name, "google", { idToken }), 503, "unavailable");
      // D1 opened the session: the token has signed in once.
      expect(await sessionCount(tenant.region, me.id)).toBe(2);
      expect(await usedOn(idToken)).toEqual([1, 0]);
      await problemOf(await postIdToken(eu, tenant.name, "google", { idToken }), 401, "invalid_credentials");
      expect(await sessionCount(tenant.region, me.id)).toBe(2);
    },
  );
});
