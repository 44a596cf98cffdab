// The refresh_token grant of POST /t/{tenant}/token (rules T, P, S, H). A refresh token rotates on every
// use, and a spent one presented again is a stolen or replayed token: the whole session is revoked
// (refresh token and access tokens alike; RFC 9700 §4.14.2). Except the retry of an answer the app never
// received (FAPI 2.0 Security Profile §5.3.2.1): within the tenant's window (refreshTokenReuseSeconds,
// default 30 s) the same token works again, for the same next token, until that one is used. A token of
// one tenant or region is never accepted by another, and presenting it there neither spends nor revokes
// it at home. The user is re-admitted on every refresh. No token is stored: each names its session and
// generation under an HMAC, so a session is one row however often it refreshes (issue 12). Holes closed:
// a replayed token that keeps working, concurrent or retried refreshes that sign a person out, a leaked
// token table that can be presented, a forged token that ends someone's session, a cross-tenant
// presentation that kills (or feeds) a session elsewhere.
import { base64url, createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { eu, us, type Region } from "../support/regions";
import { sessionCount } from "../support/rows";
import { createTenant, json } from "../support/tenants";
import { exchangedAgo, expectOAuthError, isSpent, refresh, refreshTokenClaims } from "../support/tokens";
import { CLIENT_ID, fetchMe, seedUser, signedInUser, signIn, tokenRequest, tokensFor, type TokenResponse } from "../support/users";

/** Strict rotation: an exchanged token never works again. */
const STRICT = { refreshTokenReuseSeconds: 0 };

async function refreshed(region: Region, tenant: string, refreshToken: string): Promise<TokenResponse> {
  const response = await refresh(region, tenant, refreshToken);
  expect(response.status).toBe(200);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  return (await response.json()) as TokenResponse;
}

async function sessionRow(region: Region, sessionId: string) {
  return region.db.prepare("SELECT * FROM sessions WHERE id = ?").bind(sessionId).first<Record<string, unknown>>();
}

/** Asserts that presenting `token` is reuse: invalid_grant, and `sessionId` is over, `accessToken` too. */
async function expectReuse(name: string, token: string, sessionId: string, accessToken: string) {
  await expectOAuthError(await refresh(eu, name, token), 400, "invalid_grant");
  expect((await sessionRow(eu, sessionId))?.revoked_at).toEqual(expect.any(Number));
  expect((await fetchMe(eu, name, accessToken)).status).toBe(401);
}

describe("rotation", () => {
  it("S a refresh answers a new token pair for the same session, and the refresh token rotates", async () => {
    const { name, user, tokens, sessionId } = await signedInUser();
    const second = await refreshed(eu, name, tokens.refresh_token);
    expect(second).toMatchObject({ token_type: "Bearer", expires_in: expect.any(Number), scope: "openid" });
    expect(second.refresh_token).not.toBe(tokens.refresh_token);
    expect(second.access_token).not.toBe(tokens.access_token);
    const claims = decodeJwt(second.access_token);
    expect(claims).toMatchObject({ sub: user.id, sid: sessionId, aud: CLIENT_ID });

    // The new refresh token rotates in turn, and the new access token is accepted.
    const third = await refreshed(eu, name, second.refresh_token);
    expect(new Set([tokens.refresh_token, second.refresh_token, third.refresh_token]).size).toBe(3);
    expect((await fetchMe(eu, name, third.access_token)).status).toBe(200);
  });

  it("S with strict rotation (window 0) the exchanged token fails at once (RFC 9700 §4.14.2)", async () => {
    const { name, tokens } = await signedInUser(eu, STRICT);
    await refreshed(eu, name, tokens.refresh_token);
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token), 400, "invalid_grant");
  });

  it("S the grant is also accepted as JSON", async () => {
    const { name, tokens } = await signedInUser();
    const response = await eu.fetch(
      `/t/${name}/token`,
      json({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: CLIENT_ID }),
    );
    expect(response.status).toBe(200);
    const second = (await response.json()) as TokenResponse;
    expect(second.refresh_token).not.toBe(tokens.refresh_token);
    expect(await isSpent(eu, tokens.refresh_token)).toBe(true);
  });
});

describe("the retry window (FAPI 2.0 Security Profile §5.3.2.1)", () => {
  it("H the same token presented again within the window gets the same new token again, and the session lives", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const first = await refreshed(eu, name, tokens.refresh_token);
    const exchangedAt = (await sessionRow(eu, sessionId))?.refreshed_at;
    const retry = await refreshed(eu, name, tokens.refresh_token);

    // A token is a function of its session and generation: the retry gets exactly the first answer's.
    expect(retry.refresh_token).toBe(first.refresh_token);
    expect(decodeJwt(retry.access_token).sid).toBe(sessionId);
    expect((await fetchMe(eu, name, first.access_token)).status).toBe(200);
    expect((await fetchMe(eu, name, retry.access_token)).status).toBe(200);
    // The window still runs from the first exchange.
    expect((await sessionRow(eu, sessionId))?.refreshed_at).toBe(exchangedAt);
    // The app goes on with the answer it got.
    await refreshed(eu, name, retry.refresh_token);
    expect((await sessionRow(eu, sessionId))?.revoked_at).toBeNull();
  });

  it("H 20 concurrent refreshes with one token all succeed, the session lives, and the token used next works", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(eu, name, tokens.refresh_token)));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const answers = (await Promise.all(responses.map((response) => response.json()))) as TokenResponse[];
    // Every retry within the window gets the one next token.
    expect(new Set(answers.map((answer) => answer.refresh_token)).size).toBe(1);
    for (const answer of answers) expect((await fetchMe(eu, name, answer.access_token)).status).toBe(200);

    const next = await refreshed(eu, name, answers.at(-1)!.refresh_token);
    expect((await fetchMe(eu, name, next.access_token)).status).toBe(200);
    await refreshed(eu, name, next.refresh_token);
    expect((await sessionRow(eu, sessionId))?.revoked_at).toBeNull();
  });

  it("S a token exchanged longer ago than the window revokes the session (RFC 9700 §4.14.2)", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const second = await refreshed(eu, name, tokens.refresh_token);
    await exchangedAgo(eu, tokens.refresh_token, 31);
    await expectReuse(name, tokens.refresh_token, sessionId, second.access_token);
    await expectOAuthError(await refresh(eu, name, second.refresh_token), 400, "invalid_grant");
  });

  it.each([
    [4, 200],
    [6, 400],
  ])("S the window is the tenant's refreshTokenReuseSeconds: 5 s, a retry %i s after the exchange answers %i", async (seconds, status) => {
    const { name, tokens, sessionId } = await signedInUser(eu, { refreshTokenReuseSeconds: 5 });
    await refreshed(eu, name, tokens.refresh_token);
    await exchangedAgo(eu, tokens.refresh_token, seconds);
    const retry = await refresh(eu, name, tokens.refresh_token);
    if (status === 200) expect(retry.status).toBe(200);
    else await expectOAuthError(retry, 400, "invalid_grant");
    expect((await sessionRow(eu, sessionId))?.revoked_at === null).toBe(status === 200);
  });

  it("S once its successor has been used, a token revokes the session even within the window", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const second = await refreshed(eu, name, tokens.refresh_token);
    const third = await refreshed(eu, name, second.refresh_token);
    await expectReuse(name, tokens.refresh_token, sessionId, third.access_token);
    await expectOAuthError(await refresh(eu, name, third.refresh_token), 400, "invalid_grant");
  });

  it("S a made-up token naming a real session and an old generation is invalid_grant and ends nothing", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const second = await refreshed(eu, name, tokens.refresh_token);
    await refreshed(eu, name, second.refresh_token);
    // The session id is in every access token; the generations are small numbers. Without the MAC's key
    // nobody can make a token of them: a forged one, or a real one with a byte changed, ends nothing.
    const bytes = base64url.decode(tokens.refresh_token);
    bytes[bytes.length - 1]! ^= 1;
    const tampered = base64url.encode(bytes);
    expect(refreshTokenClaims(tampered)).toEqual(refreshTokenClaims(tokens.refresh_token));
    await expectOAuthError(await refresh(eu, name, tampered), 400, "invalid_grant");
    expect((await sessionRow(eu, sessionId))?.revoked_at).toBeNull();
  });

  it("S a used token presented again within the window still works while its own successor is unused", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const second = await refreshed(eu, name, tokens.refresh_token);
    await refreshed(eu, name, second.refresh_token);
    const again = await refreshed(eu, name, second.refresh_token);
    expect((await fetchMe(eu, name, again.access_token)).status).toBe(200);
    expect((await sessionRow(eu, sessionId))?.revoked_at).toBeNull();
  });
});

describe("reuse detection", () => {
  it("S with strict rotation a spent refresh token presented again is invalid_grant and revokes the whole session", async () => {
    const { name, tokens, sessionId } = await signedInUser(eu, STRICT);
    const second = await refreshed(eu, name, tokens.refresh_token);
    expect((await fetchMe(eu, name, second.access_token)).status).toBe(200);

    // The replay (an attacker, or the victim after the attacker rotated first).
    await expectReuse(name, tokens.refresh_token, sessionId, second.access_token);

    // The newest refresh token is dead too, and so is every access token of the session.
    await expectOAuthError(await refresh(eu, name, second.refresh_token), 400, "invalid_grant");
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(401);
  });

  it("S reuse revokes only that session: another session of the same user lives on", async () => {
    const { name, user, tokens } = await signedInUser(eu, STRICT);
    const other = await tokensFor(eu, name, user.username);
    await refreshed(eu, name, tokens.refresh_token);
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token), 400, "invalid_grant");
    expect((await fetchMe(eu, name, other.access_token)).status).toBe(200);
    await refreshed(eu, name, other.refresh_token);
  });

  it.each([2, 5])("S with strict rotation, of %i concurrent refreshes with the same token one succeeds and the rest are reuse", async (count) => {
    const { name, tokens, sessionId } = await signedInUser(eu, STRICT);
    const responses = await Promise.all(Array.from({ length: count }, () => refresh(eu, name, tokens.refresh_token)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    for (const response of responses.filter((response) => response.status !== 200)) {
      await expectOAuthError(response, 400, "invalid_grant");
    }
    expect((await sessionRow(eu, sessionId))?.revoked_at).toEqual(expect.any(Number));
  });
});

describe("tenants and regions", () => {
  it("T a refresh token of another tenant is invalid_grant there, and is neither spent nor revoked at home", async () => {
    const home = await signedInUser();
    const { name: elsewhere } = await createTenant(eu);

    await expectOAuthError(await refresh(eu, elsewhere, home.tokens.refresh_token), 400, "invalid_grant");
    expect(await isSpent(eu, home.tokens.refresh_token)).toBe(false);
    expect((await sessionRow(eu, home.sessionId))?.revoked_at).toBeNull();
    await refreshed(eu, home.name, home.tokens.refresh_token);
  });

  it("T a spent refresh token presented in another tenant does not revoke the session at home", async () => {
    const home = await signedInUser();
    const { name: elsewhere } = await createTenant(eu);
    const second = await refreshed(eu, home.name, home.tokens.refresh_token);

    await expectOAuthError(await refresh(eu, elsewhere, home.tokens.refresh_token), 400, "invalid_grant");
    expect((await sessionRow(eu, home.sessionId))?.revoked_at).toBeNull();
    await refreshed(eu, home.name, second.refresh_token);
  });

  it.each([
    ["an eu token in a us tenant", eu, us],
    ["a us token in an eu tenant", us, eu],
  ])("T %s is invalid_grant, and the token still works at home", async (_what, homeRegion, otherRegion) => {
    const home = await signedInUser(homeRegion);
    const { name: elsewhere } = await createTenant(otherRegion);
    await expectOAuthError(await refresh(otherRegion, elsewhere, home.tokens.refresh_token), 400, "invalid_grant");
    await refreshed(homeRegion, home.name, home.tokens.refresh_token);
  });
});

describe("malformed requests", () => {
  it("S an unregistered client_id is 401 invalid_client, and the token is not spent", async () => {
    // wrangler.toml registers a single client (printid-mobile): a token of "another registered client"
    // cannot be obtained, so only an unregistered id is tried here.
    const { name, tokens } = await signedInUser();
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token, { client_id: "not-a-client" }), 401, "invalid_client");
    expect(await isSpent(eu, tokens.refresh_token)).toBe(false);
    await refreshed(eu, name, tokens.refresh_token);
  });

  it.each<[string, string, Record<string, string>]>([
    ["a missing refresh_token", "invalid_request", { grant_type: "refresh_token" }],
    ["an empty refresh_token", "invalid_request", { grant_type: "refresh_token", refresh_token: "" }],
    ["a missing grant_type", "invalid_request", { refresh_token: "x".repeat(43) }],
    ["an unknown grant_type", "unsupported_grant_type", { grant_type: "password", refresh_token: "x".repeat(43) }],
    ["the client_credentials grant", "unsupported_grant_type", { grant_type: "client_credentials" }],
    ["an unknown refresh token", "invalid_grant", { grant_type: "refresh_token", refresh_token: "x".repeat(43) }],
  ])("S %s is 400 %s", async (_what, error, params) => {
    const { name } = await createTenant(eu);
    await expectOAuthError(await tokenRequest(eu, name, params), 400, error);
  });

  it("S a missing client_id is 400 invalid_request, and the token is not spent", async () => {
    const { name, tokens } = await signedInUser();
    const response = await eu.fetch(`/t/${name}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }),
    });
    await expectOAuthError(response, 400, "invalid_request");
    await refreshed(eu, name, tokens.refresh_token);
  });

  it.each<[string, RequestInit]>([
    ["no body and no content type", { method: "POST" }],
    ["an empty form", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "" }],
    ["malformed JSON", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{grant_type" }],
  ])("S %s is 400 invalid_request", async (_what, init) => {
    const { name } = await createTenant(eu);
    await expectOAuthError(await eu.fetch(`/t/${name}/token`, init), 400, "invalid_request");
  });

  it("S a text/plain body is 415, and the token is not spent", async () => {
    const { name, tokens } = await signedInUser();
    const response = await eu.fetch(`/t/${name}/token`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: CLIENT_ID }).toString(),
    });
    expect(response.status).toBe(415);
    await refreshed(eu, name, tokens.refresh_token);
  });
});

describe("policy on refresh", () => {
  it("P a deactivated user's refresh is invalid_grant", async () => {
    const { name, user, tokens } = await signedInUser();
    await eu.db.prepare("UPDATE users SET active = 0 WHERE id = ?").bind(user.id).run();
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token), 400, "invalid_grant");
  });

  it("P a deleted user's refresh is invalid_grant", async () => {
    const { name, user, tokens } = await signedInUser();
    await eu.db.prepare("DELETE FROM users WHERE id = ?").bind(user.id).run();
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token), 400, "invalid_grant");
  });

  it("P a revoked session's refresh token is invalid_grant", async () => {
    const { name, tokens } = await signedInUser();
    const revoked = await eu.fetch(`/t/${name}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token }),
    });
    expect(revoked.status).toBe(200);
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token), 400, "invalid_grant");
  });

  it("P an expired session's refresh token is invalid_grant", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    await eu.db.prepare("UPDATE sessions SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, sessionId).run();
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token), 400, "invalid_grant");
  });

  it("P a disabled tenant refuses the refresh: 400 invalid_request saying why, RFC 6749 §5.2", async () => {
    const { name, tenantId, tokens } = await signedInUser();
    await eu.db.prepare("UPDATE tenants SET enabled = 0 WHERE id = ?").bind(tenantId).run();
    const response = await refresh(eu, name, tokens.refresh_token);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_request", error_description: "This tenant is disabled: contact its administrator." });
  });
});

describe("ID tokens", () => {
  it("S an openid session gets a new ID token on refresh (OIDC Core §12.2), signed RS256 by a published key, for the same user and session", async () => {
    const { name, user, tokens, sessionId } = await signedInUser();
    const second = await refreshed(eu, name, tokens.refresh_token);
    expect(second.id_token).toEqual(expect.any(String));

    const jwks = await (await eu.fetch(`/t/${name}/.well-known/jwks.json`)).json();
    const { payload, protectedHeader } = await jwtVerify(second.id_token!, createLocalJWKSet(jwks as never), {
      issuer: `${eu.origin}/t/${name}`,
      audience: CLIENT_ID,
      algorithms: ["RS256"],
    });
    expect(protectedHeader.typ).toBe("JWT");
    expect(payload).toMatchObject({ sub: user.id, sid: sessionId });
  });

  it("S a session without openid gets no ID token on refresh either", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    const response = await signIn(eu, name, { login: user.username, password: user.password, scope: "profile" });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as TokenResponse;
    expect(tokens.id_token).toBeUndefined();
    const second = await refreshed(eu, name, tokens.refresh_token);
    expect(second.scope).toBe("profile");
    expect(second.id_token).toBeUndefined();
  });
});

describe("storage", () => {
  it("S no refresh token is stored: a session holds only the generation it is at", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const second = await refreshed(eu, name, tokens.refresh_token);
    const row = await sessionRow(eu, sessionId);
    expect(row).toMatchObject({ refresh_generation: 1, refreshed_at: expect.any(Number) });
    const stored = Object.values(row ?? {}).map(String);
    for (const token of [tokens.refresh_token, second.refresh_token]) expect(stored.some((value) => value.includes(token))).toBe(false);
    const tables = await eu.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%refresh%'").all();
    expect(tables.results).toEqual([]);
  });

  it("S a session refreshed 1,000 times is still one row, and its first token is still recognised as reuse", async () => {
    const { name, user, tokens, sessionId } = await signedInUser();
    let latest = tokens;
    for (let i = 0; i < 1000; i++) {
      // From 10 addresses in turn: /token's rate limit (rule H) allows 120 a minute per address.
      const response = await tokenRequest(eu, name, { grant_type: "refresh_token", refresh_token: latest.refresh_token }, { "CF-Connecting-IP": `10.0.0.${i % 10}` });
      expect(response.status).toBe(200);
      latest = (await response.json()) as TokenResponse;
    }
    expect(await sessionCount(eu, user.id)).toBe(1);
    expect((await sessionRow(eu, sessionId))?.refresh_generation).toBe(1000);
    await expectReuse(name, tokens.refresh_token, sessionId, latest.access_token);
  });

  it("S refresh tokens carry at least 256 random bits, base64url", async () => {
    const { name, tokens } = await signedInUser();
    const second = await refreshed(eu, name, tokens.refresh_token);
    for (const token of [tokens.refresh_token, second.refresh_token]) {
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(base64url.decode(token).length).toBeGreaterThanOrEqual(32);
    }
  });
});
