// The app's side of printid's OAuth endpoints (/token, /revoke), and the RFC 6749 §5.2 error shape they
// answer in. tokenRequest (support/users.ts) sends the form.
import { base64url } from "jose";
import { expect } from "vitest";
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
