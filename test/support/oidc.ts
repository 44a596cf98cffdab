// The redirect flow of "Sign in with Apple, Google or Microsoft" as a browser and the app drive it, against
// the stand-ins of scripts/stand-in-providers.mjs (workerd side: plain fetches to 127.0.0.1, and to the Worker):
//   app → GET /t/{tenant}/oauth/{provider}/authorize   startAuthorize()   302 to the provider
//   browser → provider /authorize                      followProvider()   302 to our callback ?code&state
//   (the test decides what the provider's tokens say)  setClaims(), failTokenRequest()
//   browser → GET|POST /oauth/{provider}/callback      callback()         302 to the app ?code|error&state
//   app → POST /t/{tenant}/token                        redeem()           the token response
// signInWith() runs all of it. mintIdToken() makes ID tokens for the native SDK flow.
import { newIdentity } from "../../scripts/stand-in-people.mjs";
import type { FailMode, ProviderName as OidcProviderName } from "../../scripts/stand-in-providers.mjs";
import { testEnv as env } from "./env";
import type { Region } from "./regions";
import { json } from "./tenants";
import { APP_REDIRECT_URI, pkce } from "./tokens";
import { CLIENT_ID, tokenRequest, type TokenResponse } from "./users";

export type { OidcProviderName };
/** The tenant id Microsoft puts in `tid` for every personal (consumer) account. */
export { CONSUMERS_TID as MICROSOFT_PERSONAL_TID } from "../../scripts/stand-in-people.mjs";
/** The work directory the Microsoft stand-in puts in `tid` unless told otherwise. */
export { WORK_TID as MICROSOFT_DEFAULT_WORK_TID } from "../../scripts/stand-in-people.mjs";

/** The stand-ins: endpoints and client ids (vitest.config.ts: the OIDC binding). */
export const oidc = env.OIDC;

export type Account = "work" | "personal";

/** A `sub` no test has used, for a token whose other claims the test sets itself. */
export const newSubject = () => `sub-${crypto.randomUUID()}`;

/**
 * A new person's identity keys at `provider`, in its own shape (Microsoft: `oid`, and the account's
 * directory as `tid`): claims for a token of someone no test has signed in yet.
 */
export function newPerson(provider: OidcProviderName, account: Account = "work"): Record<string, unknown> {
  return newIdentity(provider, { kind: account });
}

export interface AuthorizeOptions {
  provider: OidcProviderName;
  account: Account;
  clientId?: string;
  redirectUri?: string;
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
}

/** The app's authorization request, as a path of the Worker. */
export function authorizePath(tenant: string, options: AuthorizeOptions & { codeChallenge: string }): string {
  const query = new URLSearchParams({
    account: options.account,
    client_id: options.clientId ?? CLIENT_ID,
    redirect_uri: options.redirectUri ?? APP_REDIRECT_URI,
    state: options.state ?? `app-state-${crypto.randomUUID()}`,
    code_challenge: options.codeChallenge,
    code_challenge_method: options.codeChallengeMethod ?? "S256",
  });
  return `/t/${tenant}/oauth/${options.provider}/authorize?${query}`;
}

export interface Started {
  /** The Worker's redirect to the provider's /authorize. */
  location: URL;
  /** What the app keeps: its PKCE verifier (when the helper made the challenge) and its state. */
  verifier: string;
  appState: string;
}

/** Asks the Worker to start a sign-in; fails the test unless it answers 302 to the provider. */
export async function startAuthorize(region: Region, tenant: string, options: AuthorizeOptions): Promise<Started> {
  const made = options.codeChallenge ? { verifier: "", challenge: options.codeChallenge } : await pkce();
  const appState = options.state ?? `app-state-${crypto.randomUUID()}`;
  const response = await region.fetch(authorizePath(tenant, { ...options, state: appState, codeChallenge: made.challenge }), {
    redirect: "manual",
  });
  const location = response.headers.get("Location");
  if (response.status !== 302 || !location) {
    throw new Error(`authorize: expected a 302 to ${options.provider}, got ${response.status} ${await response.text()}`);
  }
  return { location: new URL(location), verifier: made.verifier, appState };
}

export interface ProviderAnswer {
  /** The provider's redirect to our callback. */
  callback: URL;
  code: string;
  state: string;
}

/** The browser at the provider: the local one signs in at once and redirects to our callback with a code. */
export async function followProvider(location: URL | string): Promise<ProviderAnswer> {
  const response = await fetch(location, { redirect: "manual" });
  const target = response.headers.get("Location");
  if (response.status !== 302 || !target) throw new Error(`provider: expected a 302, got ${response.status} ${await response.text()}`);
  const callback = new URL(target);
  const code = callback.searchParams.get("code");
  const state = callback.searchParams.get("state");
  if (!code || !state) throw new Error(`provider: no code or state in ${target}`);
  return { callback, code, state };
}

/** Scripts a stand-in: POST /stand-in/{what} on its own origin (scripts/stand-in-providers.mjs). */
async function script(provider: OidcProviderName, what: string, body: unknown): Promise<Response> {
  const response = await fetch(`${oidc[provider].origin}/stand-in/${what}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${provider} stand-in, ${what}: ${response.status} ${await response.text()}`);
  return response;
}

/**
 * The tokens the provider mints for `code` will carry these claims (after its own: they may override;
 * a null value removes the claim).
 * With `signing`, its ID token is signed by a key outside its JWKS, or under an unknown kid.
 */
export async function setClaims(
  provider: OidcProviderName,
  code: string,
  claims: Record<string, unknown>,
  signing: Pick<MintOptions, "foreignKey" | "kid"> = {},
): Promise<void> {
  await script(provider, "claims", { code, claims, ...signing });
}

/** The provider's token endpoint fails the exchange of `code`. */
export async function failTokenRequest(provider: OidcProviderName, code: string, mode: FailMode): Promise<void> {
  await script(provider, "fail", { code, mode });
}

export interface RecordedTokenRequest {
  body: Record<string, string>;
  authorization: string | null;
}

/** The token requests the provider received for `code` (what the Worker sent it). */
export async function tokenRequestsFor(provider: OidcProviderName, code: string): Promise<RecordedTokenRequest[]> {
  const response = await fetch(`${oidc[provider].origin}/stand-in/token-requests?${new URLSearchParams({ code })}`);
  return ((await response.json()) as { requests: RecordedTokenRequest[] }).requests;
}

export interface MintOptions {
  /** Sign with a key that is not in the provider's JWKS, under the kid of the one that is. */
  foreignKey?: boolean;
  /** A kid the provider's JWKS does not have. */
  kid?: string;
  /** Seconds from now to `exp` (default 3600); negative for an expired token. */
  expiresIn?: number;
}

/**
 * An ID token as the provider's native SDK hands it to the app: iss = the provider, aud = its first native
 * client id, a fresh `sub` (Microsoft: `oid`, and `tid` of a work directory), iat, exp, and a fresh `jti`
 * (every token is a new one, as the real providers' are); `claims` last.
 */
export async function mintIdToken(provider: OidcProviderName, claims: Record<string, unknown> = {}, options: MintOptions = {}): Promise<string> {
  const response = await script(provider, "mint", { claims, ...options });
  return ((await response.json()) as { idToken: string }).idToken;
}

export interface CallbackOptions {
  code?: string;
  state: string;
  /** Apple answers with a form POST (response_mode=form_post); the Worker takes GET too. */
  method?: "GET" | "POST";
  /** Apple's `user` field, first authorization only: `{"name":{"firstName","lastName"},"email"}`. */
  user?: unknown;
  /** The provider's error instead of a code (e.g. access_denied). */
  error?: string;
}

/** The browser back at the Worker's callback (one per region). */
export function callback(region: Region, provider: OidcProviderName, options: CallbackOptions): Promise<Response> {
  const params = new URLSearchParams({ state: options.state });
  if (options.code !== undefined) params.set("code", options.code);
  if (options.error !== undefined) params.set("error", options.error);
  if (options.user !== undefined) params.set("user", typeof options.user === "string" ? options.user : JSON.stringify(options.user));
  const path = `/oauth/${provider}/callback`;
  if ((options.method ?? "GET") === "GET") return region.fetch(`${path}?${params}`, { redirect: "manual" });
  return region.fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: params,
    redirect: "manual",
  });
}

export interface AppRedirect {
  url: URL;
  code: string | null;
  state: string | null;
  error: string | null;
  errorDescription: string | null;
}

/** The Worker's 302 back to the app, read; fails the test on anything else. */
export async function appRedirect(response: Response): Promise<AppRedirect> {
  const location = response.headers.get("Location");
  if (response.status !== 302 || !location) throw new Error(`callback: expected a 302 to the app, got ${response.status} ${await response.text()}`);
  const url = new URL(location);
  const get = (name: string) => url.searchParams.get(name);
  return { url, code: get("code"), state: get("state"), error: get("error"), errorDescription: get("error_description") };
}

/** The app redeems its code: POST /t/{tenant}/token grant_type=authorization_code. */
export function redeem(
  region: Region,
  tenant: string,
  code: string,
  verifier: string,
  overrides: Record<string, string> = {},
): Promise<Response> {
  return tokenRequest(region, tenant, {
    grant_type: "authorization_code",
    code,
    redirect_uri: APP_REDIRECT_URI,
    code_verifier: verifier,
    ...overrides,
  });
}

export interface SignInOptions {
  provider: OidcProviderName;
  account?: Account;
  /** What the provider's ID token says (sub, email, names, tid/oid, or overrides of iss/aud/exp/nonce). */
  claims?: Record<string, unknown>;
  /** Apple: the `user` field of its form POST. */
  user?: unknown;
  /** The callback's method; default POST for Apple, GET for the others. */
  method?: "GET" | "POST";
  /** Make the provider's token endpoint fail. */
  fail?: FailMode;
  /** Sign the provider's ID token badly. */
  signing?: Pick<MintOptions, "foreignKey" | "kid">;
}

export interface SignInResult {
  started: Started;
  answer: ProviderAnswer;
  redirect: AppRedirect;
  /** The token response, when the Worker gave the app a code (and it was redeemed). */
  tokens?: TokenResponse;
  tokenStatus?: number;
}

/** The whole redirect flow, as a person with a browser and the app do it; redeems the app's code if any. */
export async function signInWith(region: Region, tenant: string, options: SignInOptions): Promise<SignInResult> {
  const started = await startAuthorize(region, tenant, { provider: options.provider, account: options.account ?? "work" });
  const answer = await followProvider(started.location);
  if (options.claims || options.signing) await setClaims(options.provider, answer.code, options.claims ?? {}, options.signing);
  if (options.fail) await failTokenRequest(options.provider, answer.code, options.fail);
  const method = options.method ?? (options.provider === "apple" ? "POST" : "GET");
  const redirect = await appRedirect(await callback(region, options.provider, { code: answer.code, state: answer.state, method, user: options.user }));
  if (!redirect.code) return { started, answer, redirect };
  const response = await redeem(region, tenant, redirect.code, started.verifier);
  const result: SignInResult = { started, answer, redirect, tokenStatus: response.status };
  if (response.status === 200) result.tokens = (await response.json()) as TokenResponse;
  return result;
}

export interface IdTokenBody {
  idToken: string;
  account?: Account;
  clientId?: string;
  nonce?: string;
  firstName?: string;
  lastName?: string;
}

/** The native SDK flow: POST /t/{tenant}/oauth/{provider}/id-token (a work account of printid-mobile unless told). */
export function postIdToken(region: Region, tenant: string, provider: OidcProviderName, body: IdTokenBody): Promise<Response> {
  return region.fetch(`/t/${tenant}/oauth/${provider}/id-token`, json({ account: "work", clientId: CLIENT_ID, ...body }));
}

/** The token response of a native sign-in; fails the test on anything else. */
export async function signedIn(response: Response): Promise<TokenResponse> {
  if (response.status !== 200) throw new Error(`id-token: ${response.status} ${await response.text()}`);
  return (await response.json()) as TokenResponse;
}

export interface StoredUser {
  id: string;
  username: string;
  email: string | null;
  email_verified: number;
  first_name: string | null;
  last_name: string | null;
  kind: string;
  active: number;
  activated_at: number | null;
  created_via: string;
}

/** The tenant's users, straight from D1 (oldest first). */
export async function usersOf(region: Region, tenantId: string): Promise<StoredUser[]> {
  const { results } = await region.db
    .prepare("SELECT id, username, email, email_verified, first_name, last_name, kind, active, activated_at, created_via FROM users WHERE tenant_id = ? ORDER BY created_at, id")
    .bind(tenantId)
    .all<StoredUser>();
  return results;
}

/** The tenant's linked external identities, straight from D1. */
export async function identitiesOf(region: Region, tenantId: string) {
  const { results } = await region.db
    .prepare("SELECT user_id, provider, subject, email FROM external_identities WHERE tenant_id = ? ORDER BY created_at")
    .bind(tenantId)
    .all<{ user_id: string; provider: string; subject: string; email: string | null }>();
  return results;
}

/** The tenant's recorded sign-in attempts (rule L), straight from D1, oldest first. */
export async function attemptsOf(region: Region, tenantId: string) {
  const { results } = await region.db
    .prepare("SELECT login, user_id, success, code, method, client_id FROM sign_in_attempts WHERE tenant_id = ? ORDER BY id")
    .bind(tenantId)
    .all<{ login: string; user_id: string | null; success: number; code: string | null; method: string; client_id: string | null }>();
  return results;
}

export interface Me {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  kind: string;
  active: boolean;
  identities: string[];
}

/** GET /t/{tenant}/me with an access token. */
export async function meOf(region: Region, tenant: string, accessToken: string): Promise<Me> {
  const response = await region.fetch(`/t/${tenant}/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  if (response.status !== 200) throw new Error(`/me: ${response.status} ${await response.text()}`);
  return (await response.json()) as Me;
}
