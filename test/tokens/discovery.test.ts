// OIDC discovery and the JWK set of each issuer <origin>/t/{tenant} (rules T, S): the document names the
// tenant's own issuer and endpoints under it, the JWK set publishes the region's public keys only (kid,
// ES256, never a private member). The "done when" of the issue: a real OIDC client library, openid-client,
// running here inside workerd with its requests routed into the Worker, discovers the issuer, refreshes,
// redeems a PKCE code and revokes, and validates the ID tokens against the published keys with no special
// casing. Holes closed: an issuer or jwks_uri a standard client rejects, a leaked private key, a region's
// keys published by the other.
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from "jose";
import * as client from "openid-client";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { issueAuthorizationCode } from "../../src/tokens/codes";
import { testEnv } from "../support/env";
import { eu, us, type Region } from "../support/regions";
import { createTenant } from "../support/tenants";
import { APP_REDIRECT_URI } from "../support/tokens";
import { CLIENT_ID, signedInUser } from "../support/users";

/** Members of a private JWK (EC, RSA, symmetric): none may be published. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

type Metadata = Record<string, unknown> & { issuer: string; jwks_uri: string };
type Jwks = { keys: (JWK & { kid: string })[] };

const issuerOf = (region: Region, tenant: string) => `${region.origin}/t/${tenant}`;

async function getJson<T>(region: Region, path: string): Promise<T> {
  const response = await region.fetch(path);
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  return (await response.json()) as T;
}

/** The path of a URL of `region`'s origin; anything else is a request that would leave the Worker. */
function pathIn(region: Region, url: string): string {
  if (!url.startsWith(`${region.origin}/`)) throw new Error(`Not a URL of the ${region.name} Worker: ${url}`);
  return url.slice(region.origin.length);
}

/**
 * openid-client configured for a tenant's issuer, with every request it makes served by the Worker (the
 * real entrypoint, real D1): the only difference from the app is the transport. `requests` logs each URL.
 */
async function oidcClient(region: Region, tenant: string) {
  const requests: string[] = [];
  const workerFetch: client.CustomFetch = (url, options) => {
    requests.push(`${options.method} ${url}`);
    return region.fetch(pathIn(region, url), options as RequestInit);
  };
  const config = await client.discovery(new URL(issuerOf(region, tenant)), CLIENT_ID, undefined, client.None(), {
    [client.customFetch]: workerFetch,
  });
  // Validate ID token signatures against the issuer's jwks_uri too (the library skips it by default for
  // tokens received straight from the token endpoint).
  client.enableNonRepudiationChecks(config);
  return { config, requests };
}

describe("discovery document", () => {
  it.each([eu, us])("S names the tenant's own issuer and endpoints under it ($name)", async (region) => {
    const { name } = await createTenant(region);
    const response = await region.fetch(`/t/${name}/.well-known/openid-configuration`);
    expect(response.headers.get("Cache-Control")).toMatch(/public/);
    const metadata = (await response.json()) as Metadata;
    const issuer = issuerOf(region, name);
    expect(metadata).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/token`,
      revocation_endpoint: `${issuer}/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: ["code"],
      grant_types_supported: expect.arrayContaining(["authorization_code", "refresh_token"]),
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
      token_endpoint_auth_methods_supported: ["none"],
      code_challenge_methods_supported: ["S256"],
    });
    expect(metadata.scopes_supported).toContain("openid");
    // Every URL it names is served by this region's Worker.
    for (const key of ["token_endpoint", "revocation_endpoint", "jwks_uri"]) {
      expect(String(metadata[key]).startsWith(`${issuer}/`)).toBe(true);
    }
  });

  it("T a tenant name typed in another case gives the canonical issuer", async () => {
    const { name } = await createTenant(eu);
    const metadata = await getJson<Metadata>(eu, `/t/${name.toUpperCase()}/.well-known/openid-configuration`);
    expect(metadata.issuer).toBe(issuerOf(eu, name));
  });

  it("T an unknown tenant is 404 tenant_not_found, a disabled one 403 tenant_disabled", async () => {
    const { name, body } = await createTenant(eu);
    const unknown = await eu.fetch(`/t/${name}-nope/.well-known/openid-configuration`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "tenant_not_found" });

    await eu.db.prepare("UPDATE tenants SET enabled = 0 WHERE id = ?").bind(body.id).run();
    for (const path of ["openid-configuration", "jwks.json"]) {
      const disabled = await eu.fetch(`/t/${name}/.well-known/${path}`);
      expect(disabled.status).toBe(403);
      expect(await disabled.json()).toMatchObject({ code: "tenant_disabled" });
    }
  });

  it("T a tenant of the other region is not described here", async () => {
    const { name } = await createTenant(us);
    const response = await eu.fetch(`/t/${name}/.well-known/openid-configuration`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "tenant_not_found", region: "us" });
  });
});

describe("JWK set", () => {
  it.each([
    [eu, () => testEnv.SIGNING_KEYS],
    [us, () => testEnv.SIGNING_KEYS_US],
  ])("S publishes exactly the region's public keys, each with kid and alg ES256, nothing private ($name)", async (region, secret) => {
    const { name } = await createTenant(region);
    const { jwks_uri } = await getJson<Metadata>(region, `/t/${name}/.well-known/openid-configuration`);
    const jwks = await getJson<Jwks>(region, pathIn(region, jwks_uri));
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: "ES256", kty: "EC", crv: "P-256", use: "sig" });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    const privateKeys = JSON.parse(secret()) as (JWK & { kid: string })[];
    expect(jwks.keys.map(({ kid, x, y }) => ({ kid, x, y }))).toEqual(privateKeys.map(({ kid, x, y }) => ({ kid, x, y })));
  });

  it("T the regions publish different keys", async () => {
    const [euTenant, usTenant] = await Promise.all([createTenant(eu), createTenant(us)]);
    const euKeys = await getJson<Jwks>(eu, `/t/${euTenant.name}/.well-known/jwks.json`);
    const usKeys = await getJson<Jwks>(us, `/t/${usTenant.name}/.well-known/jwks.json`);
    const kids = (jwks: Jwks) => jwks.keys.map((key) => key.kid);
    expect(kids(euKeys).filter((kid) => kids(usKeys).includes(kid))).toEqual([]);
    expect(euKeys.keys.map((key) => key.x)).not.toEqual(usKeys.keys.map((key) => key.x));
  });

  it("S an access token verifies against the published keys with iss and aud, and not against the other region's", async () => {
    const { name, user, tenantId, tokens } = await signedInUser();
    const jwks = await getJson<Jwks>(eu, `/t/${name}/.well-known/jwks.json`);
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: issuerOf(eu, name),
      audience: CLIENT_ID,
      algorithms: ["ES256"],
      typ: "at+jwt",
    });
    expect(protectedHeader.kid).toBe(jwks.keys[0]?.kid);
    expect(payload).toMatchObject({ sub: user.id, tid: tenantId, region: "eu", roles: [], jti: expect.any(String), sid: expect.any(String) });

    const { name: usName } = await createTenant(us);
    const usJwks = await getJson<Jwks>(us, `/t/${usName}/.well-known/jwks.json`);
    await expect(jwtVerify(tokens.access_token, createLocalJWKSet(usJwks))).rejects.toThrow();
  });
});

describe("openid-client, a certified OIDC client library, inside workerd", () => {
  it("S discovers the issuer through the Worker", async () => {
    const { name } = await createTenant(eu);
    const { config, requests } = await oidcClient(eu, name);
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(issuerOf(eu, name));
    expect(metadata.token_endpoint).toBe(`${issuerOf(eu, name)}/token`);
    expect(config.clientMetadata().client_id).toBe(CLIENT_ID);
    expect(requests).toEqual([`GET ${issuerOf(eu, name)}/.well-known/openid-configuration`]);
  });

  it("S refreshes a password sign-in's tokens and validates the new ID token against the published JWKS", async () => {
    const { name, user, tenantId, tokens } = await signedInUser();
    const { config, requests } = await oidcClient(eu, name);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    expect(refreshed.token_type).toBe("bearer");
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // The library checked the ID token's signature (against jwks_uri), iss, aud, exp and iat itself.
    expect(requests).toContain(`GET ${issuerOf(eu, name)}/.well-known/jwks.json`);
    const idToken = refreshed.claims();
    expect(idToken).toMatchObject({ iss: issuerOf(eu, name), sub: user.id, aud: CLIENT_ID, sid: decodeJwt(tokens.access_token).sid });

    // The access token, verified against the published keys with iss and aud.
    const jwks = createLocalJWKSet(await getJson<Jwks>(eu, `/t/${name}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(refreshed.access_token, jwks, { issuer: issuerOf(eu, name), audience: CLIENT_ID, typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: user.id, tid: tenantId, sid: idToken?.sid });

    // The rotated token keeps working; the spent one is refused as an OAuth error the library understands.
    await client.refreshTokenGrant(config, refreshed.refresh_token!);
    const replay = await client.refreshTokenGrant(config, tokens.refresh_token).catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(client.ResponseBodyError);
    expect(replay).toMatchObject({ error: "invalid_grant", status: 400 });
  });

  it("S redeems a PKCE code with its nonce, validating the ID token", async () => {
    const { name, tenantId, user } = await signedInUser();
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    // Codes put in the store as the federation callback does, for the verifier and nonce above.
    const issueCode = async () =>
      issueAuthorizationCode(database(eu.db), {
        tenantId,
        userId: user.id,
        clientId: CLIENT_ID,
        redirectUri: APP_REDIRECT_URI,
        method: "apple",
        codeChallenge: await client.calculatePKCECodeChallenge(verifier),
        scope: "openid",
        nonce,
      });
    const code = await issueCode();
    const { config } = await oidcClient(eu, name);

    // The app's redirect as the OS hands it back; the library sends redirect_uri without the query.
    const callback = new URL(`${APP_REDIRECT_URI}?code=${encodeURIComponent(code)}`);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true });
    expect(tokens.claims()).toMatchObject({ sub: user.id, nonce, iss: issuerOf(eu, name) });

    // A wrong nonce expectation is caught by the library: the server echoed the stored one.
    const other = await issueCode();
    const mismatch = await client
      .authorizationCodeGrant(config, new URL(`${APP_REDIRECT_URI}?code=${encodeURIComponent(other)}`), {
        pkceCodeVerifier: verifier,
        expectedNonce: client.randomNonce(),
      })
      .catch((error: unknown) => error);
    expect(mismatch).toBeInstanceOf(Error);
    expect(mismatch).toMatchObject({ code: "OAUTH_JWT_CLAIM_COMPARISON_FAILED", cause: { cause: { claim: "nonce" } } });
  });

  it("P revokes through the library: the session's refresh token then fails", async () => {
    const { name, tokens } = await signedInUser();
    const { config } = await oidcClient(eu, name);
    await client.tokenRevocation(config, tokens.refresh_token);
    const refused = await client.refreshTokenGrant(config, tokens.refresh_token).catch((error: unknown) => error);
    expect(refused).toMatchObject({ error: "invalid_grant" });
  });

  it("T the library refuses another tenant's discovery document under this issuer", async () => {
    // A client configured for tenant A that is served B's metadata must fail: the issuer check is exact.
    const a = await createTenant(eu);
    const b = await createTenant(eu);
    const swapped: client.CustomFetch = (url, options) =>
      eu.fetch(pathIn(eu, url).replace(`/t/${a.name}/`, `/t/${b.name}/`), options as RequestInit);
    const refused = await client
      .discovery(new URL(issuerOf(eu, a.name)), CLIENT_ID, undefined, client.None(), { [client.customFetch]: swapped })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(refused).toMatchObject({ code: "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED", cause: { attribute: "issuer" } });
  });
});
