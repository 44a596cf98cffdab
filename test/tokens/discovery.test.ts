// OIDC discovery and the JWK set of each issuer <origin>/t/{tenant} (rules T, S): the document names the
// tenant's own issuer and endpoints under it and lists truthfully what the issuer supports, the JWK set
// publishes the region's public keys only (kid, alg ES256 or RS256, use, never a private member). The "done when" of the issue: a real OIDC client library, openid-client,
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
  it.each([eu, us])("S OIDC Discovery §3 names the tenant's own issuer and every endpoint under it ($name)", async (region) => {
    const { name } = await createTenant(region);
    const response = await region.fetch(`/t/${name}/.well-known/openid-configuration`);
    expect(response.headers.get("Cache-Control")).toMatch(/public/);
    const metadata = (await response.json()) as Metadata;
    const issuer = issuerOf(region, name);
    expect(metadata).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      revocation_endpoint: `${issuer}/revoke`,
      device_authorization_endpoint: `${issuer}/device/authorize`,
      end_session_endpoint: `${issuer}/logout`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
    });
    for (const [key, value] of Object.entries(metadata)) {
      if (key.endsWith("_endpoint") || key === "jwks_uri") expect(String(value).startsWith(`${issuer}/`)).toBe(true);
    }
  });

  it("S OIDC Discovery §3 lists exactly what the issuer supports: responses, grants, algorithms, client authentication, prompts, locales, claims", async () => {
    const { name } = await createTenant(eu);
    const metadata = await getJson<Metadata>(eu, `/t/${name}/.well-known/openid-configuration`);
    expect(metadata).toMatchObject({
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256", "ES256"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
      token_endpoint_auth_signing_alg_values_supported: ["ES256", "RS256"],
      revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
      revocation_endpoint_auth_signing_alg_values_supported: ["ES256", "RS256"],
      code_challenge_methods_supported: ["S256"],
      scopes_supported: ["openid", "profile", "email"],
      prompt_values_supported: ["none", "login", "consent", "select_account", "create"],
      ui_locales_supported: ["en", "fr"],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      claims_parameter_supported: false,
    });
    // Every claim an ID token or UserInfo can carry, auth_time included, and nothing else.
    expect([...(metadata.claims_supported as string[])].sort()).toEqual(
      [
        "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid",
        "preferred_username", "name", "given_name", "family_name", "email", "email_verified",
      ].sort(),
    );
  });

  it("S OIDC Discovery §3: the token, UserInfo and revocation endpoints and the JWK set it names are served here", async () => {
    const { name } = await createTenant(eu);
    const metadata = await getJson<Metadata>(eu, `/t/${name}/.well-known/openid-configuration`);
    const post = { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "" };
    expect((await eu.fetch(pathIn(eu, String(metadata.token_endpoint)), post)).status).toBe(400);
    expect((await eu.fetch(pathIn(eu, String(metadata.revocation_endpoint)), post)).status).toBe(400);
    expect((await eu.fetch(pathIn(eu, String(metadata.device_authorization_endpoint)), post)).status).toBe(400);
    expect((await eu.fetch(pathIn(eu, String(metadata.userinfo_endpoint)))).status).toBe(401);
    expect((await eu.fetch(pathIn(eu, metadata.jwks_uri))).status).toBe(200);
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
  ])("S RFC 7517 publishes exactly the region's public keys, EC (ES256) and RSA (RS256), each with kid, alg and use, nothing private ($name)", async (region, secret) => {
    const { name } = await createTenant(region);
    const { jwks_uri } = await getJson<Metadata>(region, `/t/${name}/.well-known/openid-configuration`);
    const jwks = await getJson<Jwks>(region, pathIn(region, jwks_uri));
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kid: expect.any(String), use: "sig" });
      expect(key.kty === "EC" ? { alg: key.alg, crv: key.crv } : { alg: key.alg, kty: key.kty }).toEqual(
        key.kty === "EC" ? { alg: "ES256", crv: "P-256" } : { alg: "RS256", kty: "RSA" },
      );
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    const privateKeys = JSON.parse(secret()) as (JWK & { kid: string })[];
    const publicPart = ({ kid, kty, x, y, n, e }: JWK) => ({ kid, kty, x, y, n, e });
    expect(jwks.keys.map(publicPart)).toEqual(privateKeys.map(publicPart));
    expect(new Set(jwks.keys.map((key) => key.alg))).toEqual(new Set(["ES256", "RS256"]));
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
    // Access tokens are ES256 whatever the client's ID token algorithm: the first EC key signs them.
    expect(protectedHeader.kid).toBe(jwks.keys.find((key) => key.kty === "EC")?.kid);
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
    // RFC 9207: the issuer's authorization responses carry `iss`, and discovery says so.
    const withIss = (issued: string) => new URL(`${APP_REDIRECT_URI}?${new URLSearchParams({ code: issued, iss: issuerOf(eu, name) })}`);
    const callback = withIss(code);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true });
    expect(tokens.claims()).toMatchObject({ sub: user.id, nonce, iss: issuerOf(eu, name) });

    // A wrong nonce expectation is caught by the library: the server echoed the stored one.
    const other = await issueCode();
    const mismatch = await client
      .authorizationCodeGrant(config, withIss(other), {
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
