// How printid signs, and when it says the person authenticated (rule S): ID tokens RS256 unless the client
// registered ES256 (OpenID Connect Registration §2 `id_token_signed_response_alg`), each verified with a
// key of the published JWK set; access tokens always ES256 (RFC 9068), so that an RSA signature, even by
// the region's own key, is no access token. Every ID token carries `auth_time` (Core §2): now for a
// sign-in, the code's for a code, unchanged through refreshes, created_at for rows older than the column.
// Holes closed: a client handed an algorithm it did not register, an ID token whose key is not published,
// an auth_time that moves with each refresh and so defeats max_age.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { testEnv } from "../support/env";
import { eu } from "../support/regions";
import { APP_REDIRECT_URI, issueCode, oauthForm, refresh, sha256Base64url, testClients } from "../support/tokens";
import { CLIENT_ID, fetchMe, signedInUser, tenantWithUser, type TokenResponse } from "../support/users";

const { es256 } = testClients;

async function tokensOf(response: Response): Promise<TokenResponse> {
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

async function publishedKeys(tenant: string) {
  return createLocalJWKSet((await (await eu.fetch(`/t/${tenant}/.well-known/jwks.json`)).json()) as never);
}

const seconds = (date: Date | number) => Math.floor(Number(date) / 1000);

/** A code of `clientId` for a new user, redeemed as the app does. */
async function redeemedCode(clientId: string, redirectUri: string, grant: { authTime?: Date } = {}) {
  const fixture = await tenantWithUser();
  const { code, verifier } = await issueCode(eu, fixture.tenantId, fixture.user.id, { clientId, redirectUri, scope: "openid", ...grant });
  const form = { grant_type: "authorization_code", client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier };
  return { ...fixture, code, tokens: await tokensOf(await oauthForm(eu, fixture.name, "token", form)) };
}

describe("ID token algorithms (OpenID Connect Registration §2, Core §3.1.3.7)", () => {
  it("S OIDC Registration §2 a client that registered no algorithm gets RS256 ID tokens, verified by the published RSA key; the access token stays ES256", async () => {
    const { name, user, tokens } = await signedInUser();
    const keys = await publishedKeys(name);
    const issuer = `${eu.origin}/t/${name}`;
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, keys, { issuer, audience: CLIENT_ID, algorithms: ["RS256"] });
    expect(payload.sub).toBe(user.id);
    const rsaKid = (JSON.parse(testEnv.SIGNING_KEYS) as JWK[]).find((key) => key.kty === "RSA")?.kid;
    expect(protectedHeader.kid).toBe(rsaKid);
    await jwtVerify(tokens.access_token, keys, { issuer, audience: CLIENT_ID, algorithms: ["ES256"], typ: "at+jwt" });
  });

  it("S OIDC Registration §2 a client registered with ES256 gets ES256 ID tokens, from its code and on refresh", async () => {
    const { name, tokens } = await redeemedCode(es256.id, es256.redirectUri);
    const keys = await publishedKeys(name);
    const issuer = `${eu.origin}/t/${name}`;
    await jwtVerify(tokens.id_token!, keys, { issuer, audience: es256.id, algorithms: ["ES256"] });
    const renewed = await tokensOf(await refresh(eu, name, tokens.refresh_token, { client_id: es256.id }));
    expect(decodeProtectedHeader(renewed.id_token!)).toMatchObject({ alg: "ES256", typ: "JWT" });
    await jwtVerify(renewed.id_token!, keys, { issuer, audience: es256.id, algorithms: ["ES256"] });
  });

  it("S RFC 9068 §4 a token signed RS256 by the region's own RSA key is no access token: 401", async () => {
    const { name, tokens } = await signedInUser();
    const rsa = (JSON.parse(testEnv.SIGNING_KEYS) as (JWK & { kid: string })[]).find((key) => key.kty === "RSA")!;
    const forged = await new SignJWT(decodeJwt(tokens.access_token))
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: rsa.kid })
      .sign(await importJWK({ ...rsa, alg: "RS256" }, "RS256"));
    expect((await fetchMe(eu, name, forged)).status).toBe(401);
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
  });
});

describe("auth_time (OpenID Connect Core §2)", () => {
  it("S OIDC Core §2 a password sign-in's ID token says the person authenticated now", async () => {
    const before = seconds(Date.now());
    const { tokens } = await signedInUser();
    const authTime = decodeJwt(tokens.id_token!).auth_time as number;
    expect(authTime).toBeGreaterThanOrEqual(before);
    expect(authTime).toBeLessThanOrEqual(seconds(Date.now()));
  });

  it("S OIDC Core §12.2 auth_time is carried unchanged through refreshes", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const authenticatedAt = Date.now() - 3600_000;
    await eu.db.prepare("UPDATE sessions SET auth_time = ? WHERE id = ?").bind(authenticatedAt, sessionId).run();
    const first = await tokensOf(await refresh(eu, name, tokens.refresh_token));
    const second = await tokensOf(await refresh(eu, name, first.refresh_token));
    for (const renewed of [first, second]) expect(decodeJwt(renewed.id_token!).auth_time).toBe(seconds(authenticatedAt));
  });

  it("S OIDC Core §2 a code carries when the person authenticated into its session and ID token", async () => {
    const authTime = new Date(Date.now() - 20 * 60_000);
    const { tokens } = await redeemedCode(CLIENT_ID, APP_REDIRECT_URI, { authTime });
    expect(decodeJwt(tokens.id_token!).auth_time).toBe(seconds(authTime));
    const session = await eu.db.prepare("SELECT auth_time FROM sessions WHERE id = ?").bind(decodeJwt(tokens.access_token).sid).first<{ auth_time: number }>();
    expect(session?.auth_time).toBe(authTime.getTime());
  });

  it("S a session or a code older than the auth_time column answers its created_at", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    const createdAt = Date.now() - 2 * 3600_000;
    await eu.db.prepare("UPDATE sessions SET auth_time = NULL, created_at = ? WHERE id = ?").bind(createdAt, sessionId).run();
    expect(decodeJwt((await tokensOf(await refresh(eu, name, tokens.refresh_token))).id_token!).auth_time).toBe(seconds(createdAt));

    const fixture = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, fixture.tenantId, fixture.user.id);
    const issuedAt = Date.now() - 60_000;
    await eu.db
      .prepare("UPDATE authorization_codes SET auth_time = NULL, created_at = ? WHERE code_hash = ?")
      .bind(issuedAt, await sha256Base64url(code))
      .run();
    const form = { grant_type: "authorization_code", client_id: CLIENT_ID, code, redirect_uri: APP_REDIRECT_URI, code_verifier: verifier };
    expect(decodeJwt((await tokensOf(await oauthForm(eu, fixture.name, "token", form))).id_token!).auth_time).toBe(seconds(issuedAt));
  });
});
