/**
 * The authorization endpoint, `/t/{tenant}/authorize` (OIDC Core §3.1.2): a person with a live browser
 * session gets a code at once; otherwise the hosted sign-in page, in the tenant's words and the person's
 * language, whose forms continue the same request (password.ts, register.tsx, federated.ts).
 */
import type { Context } from "hono";
import { amrOfMethod } from "../factors/amr";
import { factorsOwed } from "../factors/gate";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { decodeJwt } from "jose";
import type { AccountKind, Tenant } from "../db/schema";
import { scopeOf, type AppEnv } from "../http/context";
import type { AppError } from "../http/errors";
import { issueAuthorizationCode } from "../tokens/codes";
import type { TokenResponse } from "../tokens/issue";
import { issuerOf } from "../tokens/jwt";
import { authorizationRequestOf, AuthorizationError, targetOf, type AuthorizationRequest } from "./authorization-request";
import { browserSessionOf, type BrowserSession } from "./browser-session";
import { formParameters, hiddenFields } from "./forms";
import { allowFormTarget } from "./headers";
import { readIdTokenHint } from "./id-token-hint";
import { localeFor, type Locale } from "./i18n";
import { passkeySignInPaths } from "./passkey";
import { passkeyScriptSrc } from "./passkey-script";
import { ContinueAsPage, SignInPage, type PageError } from "./pages";
import { providerButtons } from "./provider-start";
import { registerPage } from "./register";

/** Our own parameter beside the client's: which kind of account the page shows (WORK or PERSONAL). */
export const ACCOUNT_PARAMETER = "printid_account";

export function authorizePath(tenant: Pick<Tenant, "slug">): string {
  return `/t/${tenant.slug}/authorize`;
}

/** The client's request without our own parameter. */
export function clientParameters(parameters: URLSearchParams): URLSearchParams {
  const copy = new URLSearchParams(parameters);
  copy.delete(ACCOUNT_PARAMETER);
  return copy;
}

/** The hosted pages' language: the request's `ui_locales`, then the browser's `Accept-Language`. */
export function localeOf(c: Context<AppEnv>, parameters: URLSearchParams): Locale {
  return localeFor(parameters.get("ui_locales") ?? undefined, c.req.header("Accept-Language"));
}

/** The kinds of account the tenant's page offers: personal only where people may register (rule R). */
export function offeredAccounts(tenant: Tenant): AccountKind[] {
  return tenant.allowRegistration ? ["work", "personal"] : ["work"];
}

/** GET, or POST as OIDC Core §3.1.2.1 allows (the request's parameters as a form). */
export async function authorize(c: Context<AppEnv>): Promise<Response> {
  const parameters = c.req.method === "POST" ? await formParameters(c) : new URL(c.req.url).searchParams;
  return answeringClient(c, parameters, (request) => answerRequest(c, parameters, request));
}

/**
 * Runs `answer` for the request `parameters` carry, checked again; a refusal of a request whose client
 * and redirect URI are trusted goes back to the client (RFC 6749 §4.1.2.1, with `iss`: RFC 9207).
 */
export async function answeringClient(
  c: Context<AppEnv>,
  parameters: URLSearchParams,
  answer: (request: AuthorizationRequest) => Promise<Response>,
): Promise<Response> {
  const { config, tenant } = c.var;
  try {
    return await answer(authorizationRequestOf(config, clientParameters(parameters)));
  } catch (error) {
    const target = error instanceof AuthorizationError && targetOf(config, clientParameters(parameters));
    if (!target) throw error;
    const refusal = { error: error.error, error_description: error.description, state: target.state, iss: issuerOf(config, tenant) };
    return redirectToClient(c, target.redirectUri, refusal, c.req.method === "POST" ? 303 : 302);
  }
}

/**
 * What a request gets: a code when the browser's session may answer it, `login_required` when it may not
 * and the client asked for no page (`prompt=none`), else a page. A session may answer unless the client
 * asks for a fresh sign-in (`prompt=login`, or `max_age` since the person's sign-in has passed) or for
 * another person (`id_token_hint` naming someone else), or the person now owes a second factor the session
 * did not pass (rule M: the tenant's policy changed since): then they sign in again, through the step.
 */
async function answerRequest(c: Context<AppEnv>, parameters: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  const { tenant, config } = c.var;
  const hint = request.idTokenHint && (await readIdTokenHint(await config.signingKeys(), request.idTokenHint, issuerOf(config, tenant)));
  if (request.idTokenHint && !hint) throw new AuthorizationError("invalid_request", "id_token_hint is not an ID token of this issuer");
  const session = await browserSessionOf(c, tenant);
  const usable =
    session !== undefined &&
    !request.prompts.has("login") &&
    (request.maxAge === undefined || Date.now() - session.authTime.getTime() <= request.maxAge * 1000) &&
    (!hint || hint.sub === session.user.id) &&
    (await factorsOwed(scopeOf(c), tenant, session.user, session.amr ?? amrOfMethod(session.method))) === undefined;

  if (request.prompts.has("none")) {
    if (!usable) throw new AuthorizationError("login_required", "The person is not signed in here, or must sign in again");
    return issueCode(c, request, signedInAs(session), 302);
  }
  if (usable && request.prompts.has("select_account")) return continueAsPage(c, request, session);
  if (usable && !request.prompts.has("create")) return issueCode(c, request, signedInAs(session), 302);
  if (request.prompts.has("create") && tenant.allowRegistration) return registerPage(c, request, {});
  return signInPage(c, request, { account: accountOf(tenant, parameters) });
}

/** Which kind of account a page or form is about: the one asked for, where the tenant offers it. */
export function accountOf(tenant: Tenant, parameters: URLSearchParams): AccountKind {
  const asked = parameters.get(ACCOUNT_PARAMETER);
  return offeredAccounts(tenant).find((kind) => kind === asked) ?? "work";
}

/** Who the code is for: the person, how and when they signed in. */
export interface SignedIn {
  userId: string;
  /** `password` or a provider name. */
  method: string;
  authTime: Date;
  /** How they authenticated (factors/amr.ts), when more is known than the method says (a second step passed). */
  amr?: string[] | null;
}

/** Who a session the hosted page has just opened is for, as its tokens say: the person, and how they authenticated. */
export function signedInWith(tokens: TokenResponse, method: string): SignedIn {
  const { sub } = decodeJwt(tokens.access_token);
  const amr = tokens.id_token && decodeJwt(tokens.id_token).amr;
  return { userId: sub!, method, authTime: new Date(), amr: Array.isArray(amr) ? amr.map(String) : null };
}

const signedInAs = (session: BrowserSession): SignedIn => ({ userId: session.user.id, method: session.method, authTime: session.authTime, amr: session.amr });

/**
 * The answer to the client: a single-use code bound to its redirect URI, PKCE challenge and nonce, with
 * the time and the way the person signed in (the `amr` its session will carry: rule M's gate at /token
 * reads it), at `redirect_uri` with `state` and `iss` (RFC 9207).
 */
export async function issueCode(c: Context<AppEnv>, request: AuthorizationRequest, person: SignedIn, status: 302 | 303): Promise<Response> {
  const { tenant, db, config } = c.var;
  const code = await issueAuthorizationCode(db, {
    tenantId: tenant.id,
    clientId: request.client.id,
    redirectUri: request.redirectUri,
    userId: person.userId,
    method: person.method,
    codeChallenge: request.codeChallenge ?? null,
    scope: request.scope,
    nonce: request.nonce ?? null,
    authTime: person.authTime,
    amr: person.amr ?? null,
  });
  return redirectToClient(c, request.redirectUri, { code, state: request.state, iss: issuerOf(config, tenant) }, status);
}

/**
 * `redirect_uri` with the answer's parameters added to its own (RFC 6749 §3.1.2: its query is kept),
 * with what the request set on the way (the browser's session cookie).
 */
export function redirectToClient(c: Context<AppEnv>, redirectUri: string, answer: Record<string, string | undefined>, status: 302 | 303): Response {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(answer)) if (value !== undefined) url.searchParams.set(name, value);
  c.header("Cache-Control", "no-store");
  return c.redirect(url.toString(), status);
}

export interface SignInView {
  account: AccountKind;
  login?: string;
  error?: PageError;
  status?: ContentfulStatusCode;
  headers?: Record<string, string>;
}

/**
 * The hosted sign-in page for this request, as its forms continue it; where the tenant allows passkeys,
 * with "Sign in with a passkey" (passkey.ts), which the passkey script shows.
 */
export async function signInPage(c: Context<AppEnv>, request: AuthorizationRequest, view: SignInView): Promise<Response> {
  const { tenant } = c.var;
  const parameters = clientParameters(request.parameters);
  const pageOf = (kind: AccountKind) => `${authorizePath(tenant)}?${withAccount(parameters, kind)}`;
  const offered = offeredAccounts(tenant);
  const passkey = tenant.mfa.factors.includes("passkey") ? passkeySignInPaths(tenant.slug) : undefined;
  allowFormTarget(c, request.redirectUri, passkey && [passkey.options]);
  for (const [name, value] of Object.entries(view.headers ?? {})) c.header(name, value);
  return c.html(
    <SignInPage
      locale={localeOf(c, parameters)}
      tenantName={tenant.displayName}
      account={view.account}
      accountLinks={Object.fromEntries(offered.map((kind) => [kind, pageOf(kind)]))}
      formAction={`${authorizePath(tenant)}/password`}
      hidden={hiddenFields(c, tenant.slug, parameters)}
      login={view.login ?? request.loginHint}
      error={view.error}
      providers={providerButtons(c, tenant, view.account, parameters)}
      registerHref={tenant.allowRegistration ? `${authorizePath(tenant)}/register?${parameters}` : undefined}
      forgotHref={`/t/${tenant.slug}/account/password/forgot?${parameters}`}
      passkey={passkey && { ...passkey, script: passkeyScriptSrc(tenant.slug) }}
      clientName={request.client.name}
    />,
    view.status ?? 200,
  );
}

export function withAccount(parameters: URLSearchParams, kind: AccountKind): URLSearchParams {
  const copy = new URLSearchParams(parameters);
  copy.set(ACCOUNT_PARAMETER, kind);
  return copy;
}

/** `prompt=select_account` with a live session: continue as that person, or sign in as another. */
async function continueAsPage(c: Context<AppEnv>, request: AuthorizationRequest, session: BrowserSession): Promise<Response> {
  const { tenant } = c.var;
  const parameters = clientParameters(request.parameters);
  // Another account: the same request, asking for a fresh sign-in instead of an account choice.
  const another = new URLSearchParams(parameters);
  another.set("prompt", "login");
  const user = session.user;
  const displayName = [user.firstName, user.lastName].filter(Boolean).join(" ") || user.username;
  allowFormTarget(c, request.redirectUri);
  return c.html(
    <ContinueAsPage
      locale={localeOf(c, parameters)}
      tenantName={tenant.displayName}
      person={{ displayName, login: user.email ?? user.username }}
      continueForm={{ action: `${authorizePath(tenant)}/continue`, hidden: hiddenFields(c, tenant.slug, parameters) }}
      otherAccountForm={{ action: authorizePath(tenant), hidden: Object.fromEntries(another) }}
      clientName={request.client.name}
    />,
  );
}

/** POST /continue: the person chose to continue with the browser's session. */
export async function continueAs(c: Context<AppEnv>, _form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  const session = await browserSessionOf(c, c.var.tenant);
  if (!session) return signInPage(c, request, { account: "work", error: { code: "session_expired" }, status: 401 });
  return issueCode(c, request, signedInAs(session), 303);
}

/** A refusal of the sign-in as the page shows it. */
export function pageErrorOf(error: AppError): PageError {
  const retryAfter = Number(error.options.headers?.["Retry-After"]);
  return {
    code: error.code,
    detail: error.options.detail,
    fieldErrors: error.options.errors,
    retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined,
  };
}
