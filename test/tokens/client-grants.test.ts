// What each registered client may be granted (rules S, P): its grant types (`unauthorized_client`), its
// scopes (a code or a refresh never widens them, RFC 6749 §3.3 and §6), and PKCE as its kind requires:
// a public client always, a confidential client only when its code carries a challenge, and then with
// the verifier. Holes closed: a client using a grant it was not given, a scope beyond the client's or the
// session's, a PKCE downgrade (a verifier for a code that had no challenge), a public client's code
// without PKCE.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { basicAuth, expectOAuthError, issueCode, isSpent, oauthForm, refresh, testClients } from "../support/tokens";
import { CLIENT_ID, signIn, signedInUser, tenantWithUser, type TokenResponse } from "../support/users";

const { web, codesOnly } = testClients;

async function tokensOf(response: Response): Promise<TokenResponse> {
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

const sessionScope = async (accessToken: string) =>
  (await eu.db.prepare("SELECT scope FROM sessions WHERE id = ?").bind(decodeJwt(accessToken).sid).first<{ scope: string }>())?.scope;

describe("grant types per client (RFC 6749 §5.2 unauthorized_client)", () => {
  it("S RFC 6749 §5.2 a client not given the refresh_token grant is 400 unauthorized_client, and the token presented is not spent", async () => {
    const { name, tokens } = await signedInUser();
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token, { client_id: codesOnly.id }), 400, "unauthorized_client");
    expect(await isSpent(eu, tokens.refresh_token)).toBe(false);
  });

  it("S RFC 6749 §5.1 a client that may not refresh is given no refresh token", async () => {
    const { name, tenantId, user } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id, { clientId: codesOnly.id, redirectUri: codesOnly.redirectUri });
    const tokens = await tokensOf(
      await oauthForm(eu, name, "token", {
        grant_type: "authorization_code",
        client_id: codesOnly.id,
        code,
        redirect_uri: codesOnly.redirectUri,
        code_verifier: verifier,
      }),
    );
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens).not.toHaveProperty("refresh_token");
  });

  it("S RFC 6749 §5.2 an unknown grant type is unsupported_grant_type before any client's grants are asked", async () => {
    const { name } = await tenantWithUser();
    await expectOAuthError(await oauthForm(eu, name, "token", { grant_type: "password", client_id: codesOnly.id }), 400, "unsupported_grant_type");
  });
});

describe("scopes per client and per session (RFC 6749 §3.3, §6)", () => {
  it("S RFC 6749 §3.3 a code's scope beyond the client's is narrowed to the client's, and the response says so", async () => {
    const { name, tenantId, user } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id, {
      clientId: codesOnly.id,
      redirectUri: codesOnly.redirectUri,
      scope: "openid profile email",
    });
    const tokens = await tokensOf(
      await oauthForm(eu, name, "token", { grant_type: "authorization_code", client_id: codesOnly.id, code, redirect_uri: codesOnly.redirectUri, code_verifier: verifier }),
    );
    expect(tokens.scope).toBe("openid profile");
    expect(decodeJwt(tokens.access_token).scope).toBe("openid profile");
    const idToken = decodeJwt(tokens.id_token!);
    expect(idToken.preferred_username).toBe(user.username);
    expect(idToken).not.toHaveProperty("email_verified");
    expect(await sessionScope(tokens.access_token)).toBe("openid profile");
  });

  it("S RFC 6749 §3.3 the JSON sign-in too grants a client only its scopes", async () => {
    const { name, user } = await tenantWithUser();
    const response = await signIn(eu, name, { login: user.username, password: user.password, clientId: codesOnly.id, scope: "openid email" });
    expect((await tokensOf(response)).scope).toBe("openid");
  });

  it("S RFC 6749 §6 a refresh may ask for a narrower scope: its tokens carry it, the session keeps its own", async () => {
    const { name, user } = await tenantWithUser();
    const signedIn = await tokensOf(await signIn(eu, name, { login: user.username, password: user.password, scope: "openid profile email" }));
    const narrow = await tokensOf(await refresh(eu, name, signedIn.refresh_token, { scope: "openid" }));
    expect(narrow.scope).toBe("openid");
    expect(decodeJwt(narrow.access_token).scope).toBe("openid");
    expect(decodeJwt(narrow.id_token!)).not.toHaveProperty("preferred_username");

    const whole = await tokensOf(await refresh(eu, name, narrow.refresh_token));
    expect(whole.scope).toBe("openid profile email");
    expect(await sessionScope(whole.access_token)).toBe("openid profile email");
  });

  it.each([
    ["a scope the session was not granted", "openid email"],
    ["a scope the issuer does not know", "openid admin"],
  ])("S RFC 6749 §6 a refresh asking for %s is 400 invalid_scope, and the token is not spent", async (_what, scope) => {
    const { name, tokens } = await signedInUser();
    await expectOAuthError(await refresh(eu, name, tokens.refresh_token, { scope }), 400, "invalid_scope");
    expect(await isSpent(eu, tokens.refresh_token)).toBe(false);
  });
});

describe("PKCE by kind of client (RFC 7636, RFC 9700 §2.1.1)", () => {
  /** A code of `clientId` for a new user, with this challenge (null: none), and a redeemer of it. */
  async function codeOf(clientId: string, redirectUri: string, codeChallenge?: null) {
    const { name, tenantId, user } = await tenantWithUser();
    const { code, verifier } = await issueCode(eu, tenantId, user.id, { clientId, redirectUri, ...(codeChallenge === null ? { codeChallenge } : {}) });
    const redeem = (params: Record<string, string | undefined>, headers: Record<string, string> = {}) =>
      oauthForm(eu, name, "token", { grant_type: "authorization_code", code, redirect_uri: redirectUri, ...params }, headers);
    return { verifier, redeem };
  }

  it("S OAuth 2.1 a confidential client's code without a challenge redeems with the client's secret alone", async () => {
    const { redeem } = await codeOf(web.id, web.redirectUri, null);
    await tokensOf(await redeem({}, basicAuth(web.id, web.secret)));
  });

  it("S RFC 9700 §2.1.1 a code_verifier sent for a code that had no challenge is invalid_grant (PKCE downgrade), and spends the code", async () => {
    const { redeem } = await codeOf(web.id, web.redirectUri, null);
    await expectOAuthError(await redeem({ code_verifier: "a".repeat(43) }, basicAuth(web.id, web.secret)), 400, "invalid_grant");
    await expectOAuthError(await redeem({}, basicAuth(web.id, web.secret)), 400, "invalid_grant");
  });

  it("S RFC 7636 §4.6 a confidential client's code with a challenge needs its verifier: without it, invalid_grant", async () => {
    const { redeem } = await codeOf(web.id, web.redirectUri);
    await expectOAuthError(await redeem({}, basicAuth(web.id, web.secret)), 400, "invalid_grant");
  });

  it("S RFC 7636 §4.6 a confidential client's code with a challenge redeems with its verifier and its secret", async () => {
    const { redeem, verifier } = await codeOf(web.id, web.redirectUri);
    await tokensOf(await redeem({ code_verifier: verifier }, basicAuth(web.id, web.secret)));
  });

  it("S RFC 8252 §8.1 a public client's code without a challenge never redeems", async () => {
    const { redeem } = await codeOf(CLIENT_ID, "com.printid.app:/oauth/callback", null);
    // No verifier: the request itself is incomplete for a public client.
    await expectOAuthError(await redeem({ client_id: CLIENT_ID }), 400, "invalid_request");
    await expectOAuthError(await redeem({ client_id: CLIENT_ID, code_verifier: "a".repeat(43) }), 400, "invalid_grant");
  });
});
