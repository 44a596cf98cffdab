// The authorization code store and the authorization_code grant of POST /t/{tenant}/token (rules S, T, P).
// A code is single-use, short-lived, bound to its tenant, client, exact redirect URI and PKCE S256
// challenge, and stored only as a hash. A code presented twice revokes the session its first redemption
// opened (RFC 6749 §4.1.2); any mismatch spends it. The user is admitted again at redemption. Holes
// closed: an intercepted code redeemed without the verifier, a replayed code, a code of one tenant redeemed
// in another, a near-miss redirect URI, a code outliving a deactivation.
// Codes are issued by the federation flow (a later issue): here they are put in the store with
// issueAuthorizationCode, and redeemed over HTTP.
import { base64url, createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { issueAuthorizationCode } from "../../src/tokens/codes";
import { eu, us, type Region } from "../support/regions";
import { sessionCount } from "../support/rows";
import { createTenant, json } from "../support/tenants";
import { APP_REDIRECT_URI, expectOAuthError, issueCode, pkce, sha256Base64url } from "../support/tokens";
import { CLIENT_ID, fetchMe, tenantWithUser, tokenRequest, type TokenResponse } from "../support/users";

/** The grant as the app sends it; a parameter given as undefined is left out. */
function redeem(region: Region, tenant: string, params: Record<string, string | undefined>) {
  const form = Object.entries({ grant_type: "authorization_code", redirect_uri: APP_REDIRECT_URI, ...params }).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return tokenRequest(region, tenant, Object.fromEntries(form));
}

async function redeemed(region: Region, tenant: string, code: string, verifier: string): Promise<TokenResponse> {
  const response = await redeem(region, tenant, { code, code_verifier: verifier });
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

async function codeRow(region: Region, code: string) {
  return region.db
    .prepare("SELECT * FROM authorization_codes WHERE code_hash = ?")
    .bind(await sha256Base64url(code))
    .first<Record<string, unknown>>();
}

describe("redemption", () => {
  it("S a code with its verifier and redirect URI answers a token response, with the nonce in the ID token", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    const response = await redeem(eu, name, { code, code_verifier: verifier });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const tokens = (await response.json()) as TokenResponse;
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: expect.any(Number), scope: "openid" });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const jwks = createLocalJWKSet((await (await eu.fetch(`/t/${name}/.well-known/jwks.json`)).json()) as never);
    const issuer = `${eu.origin}/t/${name}`;
    const { payload: idToken } = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: CLIENT_ID, algorithms: ["RS256"] });
    expect(idToken).toMatchObject({ sub: user.id, nonce: "n-0S6_WzA2Mj" });
    // Scope openid alone: no profile claims (OIDC Core §5.4).
    expect(idToken.preferred_username).toBeUndefined();
    const { payload: access } = await jwtVerify(tokens.access_token, jwks, { issuer, audience: CLIENT_ID, typ: "at+jwt" });
    expect(access).toMatchObject({ sub: user.id, tid: tenantId, region: "eu", sid: idToken.sid });

    // The session carries the code's sign-in method, and the code records the session it opened.
    const session = await eu.db.prepare("SELECT * FROM sessions WHERE id = ?").bind(access.sid).first<Record<string, unknown>>();
    expect(session).toMatchObject({ user_id: user.id, tenant_id: tenantId, method: "google", scope: "openid", client_id: CLIENT_ID });
    expect(await codeRow(eu, code)).toMatchObject({ session_id: access.sid, used_at: expect.any(Number) });
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
  });

  it("S without openid there is no ID token; without a stored nonce the ID token has none", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const plain = await issueCode(eu, tenantId, user.id, { scope: "profile" });
    expect((await redeemed(eu, name, plain.code, plain.verifier)).id_token).toBeUndefined();

    const noNonce = await issueCode(eu, tenantId, user.id, { nonce: null });
    const tokens = await redeemed(eu, name, noNonce.code, noNonce.verifier);
    expect(decodeJwt(tokens.id_token!)).not.toHaveProperty("nonce");
  });

  it("S the grant is also accepted as JSON", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    const response = await eu.fetch(
      `/t/${name}/token`,
      json({ grant_type: "authorization_code", code, redirect_uri: APP_REDIRECT_URI, code_verifier: verifier, client_id: CLIENT_ID }),
    );
    expect(response.status).toBe(200);
  });

  it("S the refresh token of a redeemed code rotates like any other", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    const tokens = await redeemed(eu, name, code, verifier);
    const response = await tokenRequest(eu, name, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(response.status).toBe(200);
    expect(((await response.json()) as TokenResponse).refresh_token).not.toBe(tokens.refresh_token);
  });
});

describe("single use", () => {
  it("S a code redeemed twice is invalid_grant, and the session of the first redemption is revoked", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    const first = await redeemed(eu, name, code, verifier);
    expect((await fetchMe(eu, name, first.access_token)).status).toBe(200);

    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier }), 400, "invalid_grant");
    expect((await fetchMe(eu, name, first.access_token)).status).toBe(401);
    await expectOAuthError(
      await tokenRequest(eu, name, { grant_type: "refresh_token", refresh_token: first.refresh_token }),
      400,
      "invalid_grant",
    );
    expect(await sessionCount(eu, user.id)).toBe(1);
  });

  it.each([2, 5])("S of %i concurrent redemptions of one code exactly one succeeds", async (count) => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    const responses = await Promise.all(Array.from({ length: count }, () => redeem(eu, name, { code, code_verifier: verifier })));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    for (const response of responses.filter((response) => response.status !== 200)) {
      await expectOAuthError(response, 400, "invalid_grant");
    }
  });
});

describe("PKCE and redirect URI", () => {
  it("S a wrong code_verifier is invalid_grant, and spends the code: the right one then fails too", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    const other = await pkce();
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: other.verifier }), 400, "invalid_grant");
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier }), 400, "invalid_grant");
    expect(await sessionCount(eu, user.id)).toBe(0);
  });

  it.each<[string, (verifier: string, challenge: string) => string]>([
    ["the challenge itself (the plain method)", (_verifier, challenge) => challenge],
    ["a verifier shorter than 43 characters", (verifier) => verifier.slice(0, 42)],
    ["the verifier with a character changed", (verifier) => (verifier.startsWith("A") ? "B" : "A") + verifier.slice(1)],
    ["the verifier in upper case", (verifier) => verifier.toUpperCase()],
  ])("S %s as code_verifier is invalid_grant", async (_what, wrong) => {
    const { name, user, tenantId } = await tenantWithUser();
    const { verifier, challenge } = await pkce();
    const code = await issueAuthorizationCode(database(eu.db), {
      tenantId,
      userId: user.id,
      clientId: CLIENT_ID,
      redirectUri: APP_REDIRECT_URI,
      method: "google",
      codeChallenge: challenge,
      scope: "openid",
    });
    const presented = wrong(verifier, challenge);
    expect(presented).not.toBe(verifier);
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: presented }), 400, "invalid_grant");
  });

  it.each([
    ["a trailing slash", `${APP_REDIRECT_URI}/`],
    ["a prefix", "com.printid.app:/oauth/callbac"],
    ["an extension", `${APP_REDIRECT_URI}x`],
    ["an added query", `${APP_REDIRECT_URI}?next=/`],
    ["an added fragment", `${APP_REDIRECT_URI}#x`],
    ["the scheme in upper case", "COM.PRINTID.APP:/oauth/callback"],
    ["the path in upper case", "com.printid.app:/OAUTH/CALLBACK"],
    ["a percent-encoded path", "com.printid.app:/oauth%2Fcallback"],
    ["another scheme", "https://attacker.example/oauth/callback"],
  ])("S a redirect_uri with %s is invalid_grant, and spends the code", async (_what, redirectUri) => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier, redirect_uri: redirectUri }), 400, "invalid_grant");
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier }), 400, "invalid_grant");
  });

  it("S a code is bound to the client it was issued to", async () => {
    // The code store is told an unregistered client id directly, and the registered client cannot redeem it.
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id, { clientId: "printid-other" });
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier }), 400, "invalid_grant");
  });
});

describe("expiry, tenants, policy", () => {
  it("S an expired code is invalid_grant", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    const row = await codeRow(eu, code);
    // Short-lived: five minutes at most.
    expect(Number(row?.expires_at) - Number(row?.created_at)).toBeLessThanOrEqual(5 * 60_000);
    await eu.db
      .prepare("UPDATE authorization_codes SET expires_at = ? WHERE code_hash = ?")
      .bind(Date.now() - 1000, await sha256Base64url(code))
      .run();
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier }), 400, "invalid_grant");
    expect(await sessionCount(eu, user.id)).toBe(0);
  });

  it("T a code of another tenant is invalid_grant there, and is not spent at home", async () => {
    const home = await tenantWithUser();
    const { name: elsewhere } = await createTenant(eu);
    const { code, verifier } = await issueCode(eu, home.tenantId, home.user.id);
    await expectOAuthError(await redeem(eu, elsewhere, { code, code_verifier: verifier }), 400, "invalid_grant");
    expect((await codeRow(eu, code))?.used_at).toBeNull();
    await redeemed(eu, home.name, code, verifier);
  });

  it("T a used code presented in another tenant does not revoke the session at home", async () => {
    const home = await tenantWithUser();
    const { name: elsewhere } = await createTenant(eu);
    const { code, verifier } = await issueCode(eu, home.tenantId, home.user.id);
    const tokens = await redeemed(eu, home.name, code, verifier);
    await expectOAuthError(await redeem(eu, elsewhere, { code, code_verifier: verifier }), 400, "invalid_grant");
    expect((await fetchMe(eu, home.name, tokens.access_token)).status).toBe(200);
  });

  it("T a code of the other region is invalid_grant", async () => {
    const home = await tenantWithUser(us);
    const { name: elsewhere } = await createTenant(eu);
    const { code, verifier } = await issueCode(us, home.tenantId, home.user.id);
    await expectOAuthError(await redeem(eu, elsewhere, { code, code_verifier: verifier }), 400, "invalid_grant");
    await redeemed(us, home.name, code, verifier);
  });

  it("P a user deactivated between issue and redemption gets invalid_grant, and no session is created", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    await eu.db.prepare("UPDATE users SET active = 0 WHERE id = ?").bind(user.id).run();
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier }), 400, "invalid_grant");
    expect(await sessionCount(eu, user.id)).toBe(0);
    // The code is spent; the session it promised was never opened.
    expect(await codeRow(eu, code)).toMatchObject({ used_at: expect.any(Number) });
  });
});

describe("malformed requests", () => {
  it.each([
    ["code_verifier", { code_verifier: undefined }],
    ["code", { code: undefined }],
    ["redirect_uri", { redirect_uri: undefined }],
  ])("S a missing %s is invalid_request, and the code is not spent", async (_field, omit) => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier, ...omit }), 400, "invalid_request");
    await redeemed(eu, name, code, verifier);
  });

  it("S an unregistered client_id is 401 invalid_client, and the code is not spent", async () => {
    const { name, user, tenantId } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id);
    await expectOAuthError(await redeem(eu, name, { code, code_verifier: verifier, client_id: "not-a-client" }), 401, "invalid_client");
    await redeemed(eu, name, code, verifier);
  });

  it("S an unknown code is invalid_grant", async () => {
    const { name } = await createTenant(eu);
    const { verifier } = await pkce();
    await expectOAuthError(await redeem(eu, name, { code: base64url.encode(crypto.getRandomValues(new Uint8Array(32))), code_verifier: verifier }), 400, "invalid_grant");
  });
});

describe("storage", () => {
  it("S codes are stored only as base64url SHA-256 hashes, and carry at least 256 random bits", async () => {
    const { user, tenantId } = await tenantWithUser();
    const { code } = await issueCode(eu, tenantId, user.id);
    expect(code).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(base64url.decode(code).length).toBeGreaterThanOrEqual(32);

    const row = await codeRow(eu, code);
    expect(row).not.toBeNull();
    expect(row?.code_hash).toBe(await sha256Base64url(code));
    for (const value of Object.values(row ?? {})) expect(String(value)).not.toContain(code);
  });
});
