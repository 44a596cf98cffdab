// The clients' side of printid's OAuth endpoints (/token, /revoke), and the RFC 6749 §5.2 error shape they
// answer in. tokenRequest (support/users.ts) sends the app's form; oauthForm any client's.
import { base64url } from "jose";
import { expect } from "vitest";
import { database } from "../../src/db/client";
import { issueAuthorizationCode, type CodeGrant } from "../../src/tokens/codes";
import { peekRefreshToken } from "../../src/tokens/refresh-token";
import { testEnv } from "./env";
import type { Region } from "./regions";
import { CLIENT_ID, tokenRequest } from "./users";

/** The app's redirect URI registered for printid-mobile in the test Worker (wrangler.toml CLIENTS). */
export const APP_REDIRECT_URI = "com.printid.app:/oauth/callback";

/** The clients vitest.config.ts registers beside the app: their ids and redirect URIs. */
export const testClients = {
  /** Confidential: authenticates with `secret` (its SHA-256 is registered). */
  web: { id: "printid-web", redirectUri: "https://web.printid.example/callback", secret: testEnv.TEST_WEB_CLIENT_SECRET },
  /** Public, ID tokens signed ES256. */
  es256: { id: "printid-es256", redirectUri: "com.printid.es256:/oauth/callback" },
  /** Public, the authorization_code grant only, scopes openid and profile only. */
  codesOnly: { id: "printid-codes-only", redirectUri: "com.printid.limited:/oauth/callback" },
} as const;

/** RFC 6749 §2.3.1: HTTP Basic credentials, the id and the secret each form-urlencoded first. */
export function basicAuth(id: string, secret: string): Record<string, string> {
  const formEncoded = (value: string) => new URLSearchParams({ v: value }).toString().slice("v=".length);
  return { Authorization: `Basic ${btoa(`${formEncoded(id)}:${formEncoded(secret)}`)}` };
}

/** A form POST to /t/{tenant}/token or /revoke with exactly these parameters (one given as undefined is left out). */
export function oauthForm(
  region: Region,
  tenant: string,
  endpoint: "token" | "revoke",
  params: Record<string, string | undefined>,
  headers: Record<string, string> = {},
) {
  const form = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return region.fetch(`/t/${tenant}/${endpoint}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
}

/**
 * Puts a code in the region's store, as the authorization endpoint does: for the app, its redirect URI,
 * scope openid and a nonce unless `grant` says otherwise, bound to a fresh PKCE challenge unless `grant`
 * gives one (null: none). Returns the code and its verifier.
 */
export async function issueCode(region: Region, tenantId: string, userId: string, grant: Partial<CodeGrant> = {}) {
  const { verifier, challenge } = await pkce();
  const code = await issueAuthorizationCode(database(region.db), {
    tenantId,
    userId,
    clientId: CLIENT_ID,
    redirectUri: APP_REDIRECT_URI,
    method: "google",
    codeChallenge: challenge,
    scope: "openid",
    nonce: "n-0S6_WzA2Mj",
    ...grant,
  });
  return { code, verifier };
}

export interface OAuthErrorBody {
  error: string;
  error_description: string;
}

/** base64url(SHA-256(value)): how printid stores its secrets, and RFC 7636's S256. */
export async function sha256Base64url(value: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value))));
}

/** An RFC 7636 verifier (43 base64url characters) and its S256 challenge, as the app makes them. */
export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
  return { verifier, challenge: await sha256Base64url(verifier) };
}

/** The refresh_token grant, with `extra` parameters. */
export function refresh(region: Region, tenant: string, refreshToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(region, tenant, { grant_type: "refresh_token", refresh_token: refreshToken, ...extra });
}

/** The session a refresh token names, and its generation (the token is read, not checked). */
export function refreshTokenClaims(token: string): { sessionId: string; generation: number } {
  const claims = peekRefreshToken(token);
  if (!claims) throw new Error("not a refresh token of printid");
  return claims;
}

/** Whether a refresh token has been exchanged: its session has moved past the generation it names. */
export async function isSpent(region: Region, token: string): Promise<boolean> {
  const { sessionId, generation } = refreshTokenClaims(token);
  const row = await region.db.prepare("SELECT refresh_generation FROM sessions WHERE id = ?").bind(sessionId).first<{ refresh_generation: number }>();
  return (row?.refresh_generation ?? 0) > generation;
}

/** Moves a session's last exchange `seconds` into the past, as if the app retried that much later. */
export async function exchangedAgo(region: Region, token: string, seconds: number): Promise<void> {
  await region.db
    .prepare("UPDATE sessions SET refreshed_at = ? WHERE id = ?")
    .bind(Date.now() - seconds * 1000, refreshTokenClaims(token).sessionId)
    .run();
}

/** POST /t/{tenant}/revoke (RFC 7009), form-encoded, naming no client unless `params` do. */
export function revoke(region: Region, tenant: string, token: string, params: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return oauthForm(region, tenant, "revoke", { token, ...params }, headers);
}

/** Asserts an RFC 6749 §5.2 error answer: this status, JSON, this `error` and a description. */
export async function expectOAuthError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = (await response.json()) as OAuthErrorBody;
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe("string");
}
