// Registered clients and how they authenticate at /token and /revoke (rules S, P). CLIENTS lists each
// client: a public one (the app) names itself and proves nothing but PKCE; a confidential one (a web
// application's server) proves itself with its secret, by HTTP Basic or in the body (RFC 6749 §2.3.1),
// and printid keeps only the secret's SHA-256. Holes closed: a confidential client's code or refresh token
// redeemed without its secret, a secret compared in clear or guessed through a lax decoding, two methods
// at once, one client revoking another's session, a list that registers a client twice.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { configOf } from "../../src/config";
import { isConfidential, registeredClient } from "../../src/tokens/clients";
import { testEnv } from "../support/env";
import { eu } from "../support/regions";
import { basicAuth, expectOAuthError, issueCode, oauthForm, revoke, sha256Base64url, testClients } from "../support/tokens";
import { CLIENT_ID, fetchMe, signedInUser, tenantWithUser, type TokenResponse } from "../support/users";

const { web } = testClients;

/** The configuration a Worker deployed with this CLIENTS var reads. */
const configWith = (clients: unknown) => configOf({ ...testEnv, CLIENTS: JSON.stringify(clients) });

/**
 * A code of the web client for a new user, the form that redeems it (its verifier, no client yet), and
 * `redeem`, which posts that form with `params` added and `headers`.
 */
async function webCode() {
  const fixture = await tenantWithUser();
  const { code, verifier } = await issueCode(eu, fixture.tenantId, fixture.user.id, { clientId: web.id, redirectUri: web.redirectUri });
  const form = { grant_type: "authorization_code", code, redirect_uri: web.redirectUri, code_verifier: verifier };
  const redeem = (params: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    oauthForm(eu, fixture.name, "token", { ...form, ...params }, headers);
  return { ...fixture, redeem };
}

async function tokensOf(response: Response): Promise<TokenResponse> {
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

/** Asserts RFC 6749 §5.2's invalid_client: 401, the error, and the challenge of HTTP Basic. */
async function expectClientRefused(response: Response) {
  expect(response.headers.get("WWW-Authenticate")).toMatch(/^Basic realm="printid"/);
  await expectOAuthError(response, 401, "invalid_client");
}

describe("CLIENTS, the region's registered clients", () => {
  it("S a client listed the old way (id and redirect URIs only) is a public client with both grants, every scope and RS256 ID tokens", () => {
    const config = configWith([{ id: "legacy-app", redirectUris: ["com.legacy.app:/cb"] }]);
    const client = registeredClient(config, "legacy-app")!;
    expect(client).toEqual({
      id: "legacy-app",
      name: "legacy-app",
      redirectUris: ["com.legacy.app:/cb"],
      postLogoutRedirectUris: [],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["openid", "profile", "email"],
      idTokenSignedResponseAlg: "RS256",
    });
    expect(isConfidential(client)).toBe(false);
    expect(registeredClient(config, "nobody")).toBeUndefined();
  });

  it("S a client with a secretHash is confidential; the registered hash is the base64url SHA-256 of its secret, never the secret", async () => {
    const client = registeredClient(configOf(testEnv), web.id)!;
    expect(isConfidential(client)).toBe(true);
    expect(client.secretHash).toBe(await sha256Base64url(web.secret));
    expect(testEnv.CLIENTS).not.toContain(web.secret);
  });

  it.each([
    ["a secretHash that is not a base64url SHA-256", { secretHash: "not-a-hash" }],
    ["an unknown grant type", { grantTypes: ["password"] }],
    ["no grant type at all", { grantTypes: [] }],
    ["a scope the issuer does not grant", { scopes: ["openid", "admin"] }],
    ["an ID token algorithm the issuer has no key for", { idTokenSignedResponseAlg: "HS256" }],
    ["no redirect URI", { redirectUris: [] }],
  ])("S a client with %s is refused when the Worker starts", (_what, change) => {
    expect(() => configWith([{ id: "bad-client", redirectUris: ["com.bad:/cb"], ...change }])).toThrow();
  });

  it("S the same client id listed twice is refused when the Worker starts", () => {
    const twice = [{ id: "twin", redirectUris: ["a:/cb"] }, { id: "twin", redirectUris: ["b:/cb"] }];
    expect(() => configWith(twice)).toThrow(/needs its own id/);
  });
});

describe("client authentication at the token endpoint (RFC 6749 §2.3)", () => {
  it("S RFC 6749 §2.3.1 a confidential client redeems its code with client_secret_basic, the id and secret form-urlencoded", async () => {
    // The test secret has `+`, `/`, `:` and `é`: sent raw, `+` would read as a space.
    const { redeem, user } = await webCode();
    const tokens = await tokensOf(await redeem({}, basicAuth(web.id, web.secret)));
    expect(decodeJwt(tokens.id_token!)).toMatchObject({ sub: user.id, aud: web.id });
  });

  it("S RFC 6749 §2.3.1 a confidential client redeems its code with client_secret_post", async () => {
    const { redeem } = await webCode();
    await tokensOf(await redeem({ client_id: web.id, client_secret: web.secret }));
  });

  it.each<[string, Record<string, string>, Record<string, string>]>([
    ["no secret at all (client_id alone)", { client_id: web.id }, {}],
    ["a wrong secret by HTTP Basic", {}, basicAuth(web.id, `${web.secret}x`)],
    ["a wrong secret in the body", { client_id: web.id, client_secret: web.secret.slice(0, -1) }, {}],
    ["an empty secret in the body", { client_id: web.id, client_secret: "" }, {}],
    ["an empty secret by HTTP Basic", {}, basicAuth(web.id, "")],
    ["the secret not form-urlencoded in HTTP Basic", {}, { Authorization: `Basic ${btoa(unescape(encodeURIComponent(`${web.id}:${web.secret}`)))}` }],
    ["an unknown client by HTTP Basic", {}, basicAuth("not-a-client", web.secret)],
    ["HTTP Basic that is not base64", {}, { Authorization: "Basic !!!" }],
    ["HTTP Basic without a colon", {}, { Authorization: `Basic ${btoa(web.id)}` }],
    ["a bearer token instead of client credentials", {}, { Authorization: "Bearer abc" }],
  ])("S RFC 6749 §5.2 %s is 401 invalid_client with WWW-Authenticate: Basic, and the code is not spent", async (_what, params, headers) => {
    const { redeem } = await webCode();
    await expectClientRefused(await redeem(params, headers));
    await tokensOf(await redeem({}, basicAuth(web.id, web.secret)));
  });

  it("S RFC 6749 §2.3 one method a request: the secret by HTTP Basic and in the body is 400 invalid_request", async () => {
    const { redeem } = await webCode();
    await expectOAuthError(await redeem({ client_secret: web.secret }, basicAuth(web.id, web.secret)), 400, "invalid_request");
    await expectOAuthError(await redeem({ client_id: CLIENT_ID }, basicAuth(web.id, web.secret)), 400, "invalid_request");
    // client_id may repeat the id HTTP Basic gives.
    await tokensOf(await redeem({ client_id: web.id }, basicAuth(web.id, web.secret)));
  });

  it("S a public client has no secret: one sent is 401 invalid_client", async () => {
    const { name, tokens } = await signedInUser();
    const form = { grant_type: "refresh_token", refresh_token: tokens.refresh_token };
    await expectClientRefused(await oauthForm(eu, name, "token", { ...form, client_id: CLIENT_ID, client_secret: "anything" }));
    await expectClientRefused(await oauthForm(eu, name, "token", form, basicAuth(CLIENT_ID, "anything")));
    // HTTP Basic with an empty secret is the public client naming itself (RFC 6749 §2.3.1).
    await tokensOf(await oauthForm(eu, name, "token", form, basicAuth(CLIENT_ID, "")));
  });

  it("S a confidential client's refresh token needs its secret too, and no other client may use it", async () => {
    const { name, redeem } = await webCode();
    const tokens = await tokensOf(await redeem({}, basicAuth(web.id, web.secret)));
    const refresh = { grant_type: "refresh_token", refresh_token: tokens.refresh_token };
    await expectClientRefused(await oauthForm(eu, name, "token", { ...refresh, client_id: web.id }));
    await expectOAuthError(await oauthForm(eu, name, "token", { ...refresh, client_id: CLIENT_ID }), 400, "invalid_grant");
    const renewed = await tokensOf(await oauthForm(eu, name, "token", refresh, basicAuth(web.id, web.secret)));
    expect(decodeJwt(renewed.access_token).aud).toBe(web.id);
  });
});

describe("revocation by a client (RFC 7009 §2.1)", () => {
  it("S RFC 7009 §2.1 a confidential client revokes its own token with its secret; naming itself without it is 401, and anyone else ends nothing", async () => {
    const { name, redeem } = await webCode();
    const tokens = await tokensOf(await redeem({}, basicAuth(web.id, web.secret)));
    const alive = async () => (await fetchMe(eu, name, tokens.access_token)).status === 200;

    await expectClientRefused(await revoke(eu, name, tokens.refresh_token, { client_id: web.id }));
    await expectClientRefused(await revoke(eu, name, tokens.refresh_token, {}, basicAuth(web.id, "wrong")));
    // Neither a request that names no client nor another client may end a confidential client's session.
    expect((await revoke(eu, name, tokens.refresh_token)).status).toBe(200);
    expect((await revoke(eu, name, tokens.access_token, { client_id: CLIENT_ID })).status).toBe(200);
    expect(await alive()).toBe(true);

    expect((await revoke(eu, name, tokens.access_token, {}, basicAuth(web.id, web.secret))).status).toBe(200);
    expect(await alive()).toBe(false);
  });

  it("S RFC 7009 §2.1 a public client naming itself revokes only its own tokens; a request naming no client, a public client's", async () => {
    const { name, tokens } = await signedInUser();
    const alive = async () => (await fetchMe(eu, name, tokens.access_token)).status === 200;
    expect((await revoke(eu, name, tokens.refresh_token, { client_id: testClients.es256.id })).status).toBe(200);
    expect(await alive()).toBe(true);
    expect((await revoke(eu, name, tokens.refresh_token, { client_id: CLIENT_ID })).status).toBe(200);
    expect(await alive()).toBe(false);

    const other = await signedInUser();
    expect((await revoke(eu, other.name, other.tokens.access_token)).status).toBe(200);
    expect((await fetchMe(eu, other.name, other.tokens.access_token)).status).toBe(401);
  });

  it("S RFC 7009 §2.1 an unknown client is 401 invalid_client, and the token is not revoked", async () => {
    const { name, tokens } = await signedInUser();
    await expectClientRefused(await revoke(eu, name, tokens.refresh_token, { client_id: "not-a-client" }));
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
  });
});
