// The native SDK flow against replays (rule S). A provider ID token is a bearer credential once it leaves
// the app (a log, a proxy, a shared device), so: a token minted with a nonce is good only with that nonce,
// and one token signs in once. Its SHA-256 is kept in used_id_tokens until it could no longer verify
// anyway; the row lands in the session's own D1 batch, so a sign-in that fails to open its session
// leaves the token unused, and of two concurrent uses exactly one wins.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { pruneUsedIdTokens } from "../../src/federation/used-id-tokens";
import { faultyRegion } from "../support/faults";
import { attemptsOf, meOf, mintIdToken, postIdToken, signedIn } from "../support/oidc";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { seedUsedIdTokens, sessionCount } from "../support/rows";
import { openTenant } from "../support/tenants";
import { sha256Base64url } from "../support/tokens";

const person = () => ({ sub: `native-${crypto.randomUUID()}`, given_name: "Rey" });

async function usedRow(idToken: string) {
  return eu.db.prepare("SELECT expires_at FROM used_id_tokens WHERE token_hash = ?").bind(await sha256Base64url(idToken)).first<{ expires_at: number }>();
}

describe("S the nonce", () => {
  it("S a token that carries a nonce, sent without one, is 401 invalid_credentials and stays unused; with its nonce it signs in", async () => {
    const tenant = await openTenant(eu);
    const nonce = `n-${crypto.randomUUID()}`;
    const idToken = await mintIdToken("google", { ...person(), nonce });
    const problem = await problemOf(await postIdToken(eu, tenant.name, "google", { idToken }), 401, "invalid_credentials");
    expect(problem.detail).toBe("The ID token was issued with a nonce: send that nonce with it.");
    expect(await usedRow(idToken)).toBeNull();
    expect((await attemptsOf(eu, tenant.id)).map((attempt) => attempt.code)).toEqual(["invalid_credentials"]);

    await signedIn(await postIdToken(eu, tenant.name, "google", { idToken, nonce }));
  });

  it("S apple: a token carrying the SHA-256 of a nonce is refused without the nonce", async () => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken("apple", { ...person(), nonce: "a".repeat(64) });
    await problemOf(await postIdToken(eu, tenant.name, "apple", { idToken }), 401, "invalid_credentials");
    expect(await usedRow(idToken)).toBeNull();
  });
});

describe("S one provider ID token, one sign-in", () => {
  it("S a second use of the same token is 401 invalid_credentials, saying so; one session, both attempts recorded", async () => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken("google", person());
    const first = await signedIn(await postIdToken(eu, tenant.name, "google", { idToken }));
    const me = await meOf(eu, tenant.name, first.access_token);

    const again = await problemOf(await postIdToken(eu, tenant.name, "google", { idToken }), 401, "invalid_credentials");
    expect(again.detail).toBe("This ID token has already been used to sign in: get a new one from the provider.");
    expect(await sessionCount(eu, me.id)).toBe(1);
    expect((await attemptsOf(eu, tenant.id)).map(({ user_id, success, code }) => ({ user_id, success, code }))).toEqual([
      { user_id: me.id, success: 1, code: null },
      { user_id: me.id, success: 0, code: "invalid_credentials" },
    ]);
  });

  it("S T a token used in one tenant is spent in every other one too", async () => {
    const [a, b] = [await openTenant(eu), await openTenant(eu)];
    const idToken = await mintIdToken("google", person());
    await signedIn(await postIdToken(eu, a.name, "google", { idToken }));
    await problemOf(await postIdToken(eu, b.name, "google", { idToken }), 401, "invalid_credentials");
  });

  it("S H concurrent uses of one token: exactly one signs in, every other one is 401, none is a 5xx", async () => {
    for (let round = 0; round < 3; round++) {
      const tenant = await openTenant(eu);
      const idToken = await mintIdToken("google", person());
      const responses = await Promise.all(Array.from({ length: 6 }, () => postIdToken(eu, tenant.name, "google", { idToken })));
      expect(responses.map((response) => response.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
      const winner = responses.find((response) => response.status === 200)!;
      const me = await meOf(eu, tenant.name, ((await winner.json()) as { access_token: string }).access_token);
      expect(await sessionCount(eu, me.id)).toBe(1);
    }
  });

  it("S H a sign-in whose session write fails does not spend the token: the same token then signs in", async () => {
    const tenant = await openTenant(eu);
    const who = person();
    const first = await signedIn(await postIdToken(eu, tenant.name, "google", { idToken: await mintIdToken("google", who) }));
    const me = await meOf(eu, tenant.name, first.access_token);
    const idToken = await mintIdToken("google", who);
    // D1 calls of a native sign-in: 1 the tenant, 2 the identity, 3 the session with the used token.
    const { region } = faultyRegion({ kind: "nth", n: 3 });
    // Rule H: the database's failure is 503 unavailable, never counted against the person.
    await problemOf(await postIdToken(region, tenant.name, "google", { idToken }), 503, "unavailable");
    expect(await usedRow(idToken)).toBeNull();
    await signedIn(await postIdToken(eu, tenant.name, "google", { idToken }));
    expect(await sessionCount(eu, me.id)).toBe(2);
  });

  it("S the token is remembered until its exp plus the 30 s clock tolerance", async () => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken("google", person());
    await signedIn(await postIdToken(eu, tenant.name, "google", { idToken }));
    expect(await usedRow(idToken)).toEqual({ expires_at: (decodeJwt(idToken).exp! + 30) * 1000 });
  });

  it("S pruneUsedIdTokens removes the tokens past their expiry and keeps the others", async () => {
    const [expired, live] = [`expired-${crypto.randomUUID()}`, `live-${crypto.randomUUID()}`];
    await seedUsedIdTokens(eu, [
      { tokenHash: expired, expiresAt: Date.now() - 1000 },
      { tokenHash: live, expiresAt: Date.now() + 3_600_000 },
    ]);
    await database(eu.db).batch(pruneUsedIdTokens(database(eu.db), new Date(), 10_000));
    const { results } = await eu.db
      .prepare("SELECT token_hash FROM used_id_tokens WHERE token_hash IN (?, ?)")
      .bind(expired, live)
      .all<{ token_hash: string }>();
    expect(results.map((row) => row.token_hash)).toEqual([live]);
  });
});
