// The hosted sign-in driven as a browser and a client would: an authorization request, the page's
// forms, the redirect back with a code, and its redemption at /token.
import { expect } from "vitest";
import { Browser } from "../support/browser";
import { redeem } from "../support/oidc";
import { eu, type Region } from "../support/regions";
import { APP_REDIRECT_URI, pkce } from "../support/tokens";
import { CLIENT_ID } from "../support/users";

export interface Authorization {
  /** The request's query string, as the client sent it. */
  query: string;
  clientId: string;
  redirectUri: string;
  verifier: string;
  state: string;
  nonce: string;
}

/** An authorization request of the mobile app (a public client: PKCE S256), with `extra` parameters. */
export async function authorization(extra: Record<string, string> = {}): Promise<Authorization> {
  const { verifier, challenge } = await pkce();
  const state = `state-${crypto.randomUUID()}`;
  const nonce = `nonce-${crypto.randomUUID()}`;
  const query = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: APP_REDIRECT_URI,
    scope: "openid profile email",
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  });
  for (const [name, value] of Object.entries(extra)) if (value === "") query.delete(name);
  return { query: query.toString(), clientId: query.get("client_id") ?? "", redirectUri: query.get("redirect_uri") ?? "", verifier, state, nonce };
}

/** The value of a hidden field of a page's (first) form. */
export function hiddenOf(html: string, name: string): string {
  const value = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html)?.[1];
  if (value === undefined) throw new Error(`no hidden ${name} in:\n${html.slice(0, 2000)}`);
  return value.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
}

/** The redirect back to the client (at `redirectUri`), read: its parameters. */
export function answerOf(response: Response, redirectUri = APP_REDIRECT_URI): URLSearchParams {
  expect([302, 303], `expected a redirect, got ${response.status}`).toContain(response.status);
  const location = new URL(response.headers.get("Location")!);
  expect(`${location.origin === "null" ? location.protocol : location.origin}${location.pathname}`).toBe(redirectUri);
  return location.searchParams;
}

/** Opens the sign-in page and signs in with a password there; the response to the form. */
export async function signInOnPage(browser: Browser, tenant: string, request: Authorization, login: string, password: string): Promise<Response> {
  const page = await browser.get(`/t/${tenant}/authorize?${request.query}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  return browser.post(`/t/${tenant}/authorize/password`, {
    csrf: hiddenOf(html, "csrf"),
    authorization: hiddenOf(html, "authorization"),
    login,
    password,
  });
}

/** The code of a redirect, redeemed at /token by the request's client with its verifier: the token response. */
export async function tokensOf(region: Region, tenant: string, request: Authorization, response: Response, clientAuth: Record<string, string> = {}) {
  const answer = answerOf(response, request.redirectUri);
  expect(answer.get("state")).toBe(request.state);
  const redeemed = await redeem(region, tenant, answer.get("code")!, request.verifier, {
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    ...clientAuth,
  });
  expect(redeemed.status, await redeemed.clone().text()).toBe(200);
  return (await redeemed.json()) as { access_token: string; id_token: string; refresh_token: string };
}

export const browserAt = (region: Region = eu) => new Browser(region);
