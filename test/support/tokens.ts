// The app's side of printid's OAuth endpoints (/token, /revoke), and the RFC 6749 §5.2 error shape they
// answer in. tokenRequest (support/users.ts) sends the form.
import { base64url } from "jose";
import { expect } from "vitest";
import { peekRefreshToken } from "../../src/tokens/refresh-token";
import type { Region } from "./regions";
import { tokenRequest } from "./users";

/** The app's redirect URI registered for printid-mobile in the test Worker (wrangler.toml CLIENTS). */
export const APP_REDIRECT_URI = "com.printid.app:/oauth/callback";

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

/** POST /t/{tenant}/revoke (RFC 7009), form-encoded. */
export function revoke(region: Region, tenant: string, token: string) {
  return region.fetch(`/t/${tenant}/revoke`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }),
  });
}

/** Asserts an RFC 6749 §5.2 error answer: this status, JSON, this `error` and a description. */
export async function expectOAuthError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = (await response.json()) as OAuthErrorBody;
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe("string");
}
