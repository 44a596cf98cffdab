/**
 * The authorization request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC 7636), checked in the order that
 * decides how a refusal is told: until the client and its redirect URI are known to be registered, a
 * refusal is a page and never a redirect (RFC 6749 §4.1.2.1: no open redirector); after, it goes back to
 * the client with `error`, `error_description`, `state` and `iss` (RFC 9207).
 *
 * The request is carried through the hosted pages as its own parameters (a hidden field) and checked again
 * on every step: its values are the client's, which the browser could send as well, so nothing needs
 * signing, and no step trusts a value an earlier one checked.
 */
import * as v from "valibot";
import type { Client, Config } from "../config";
import { registeredClient } from "../tokens/clients";
import { supportedScopes } from "../tokens/clients";

/** The `prompt` values this provider answers (discovery's `prompt_values_supported`). */
export const PROMPTS = ["none", "login", "consent", "select_account", "create"] as const;
type Prompt = (typeof PROMPTS)[number];

export interface AuthorizationRequest {
  client: Client;
  redirectUri: string;
  state?: string;
  nonce?: string;
  scope: string;
  codeChallenge?: string;
  prompts: ReadonlySet<Prompt>;
  /** Seconds since the person last authenticated beyond which they must again (§3.1.2.1 `max_age`). */
  maxAge?: number;
  loginHint?: string;
  idTokenHint?: string;
  uiLocales?: string;
  /** Every parameter as received, to carry the request through the pages unchanged. */
  parameters: URLSearchParams;
}

/** A refusal told on a page: the client or its redirect URI cannot be trusted with an answer. */
export class UntrustedAuthorizationRequest extends Error {
  constructor(
    readonly reason: "invalid_client" | "invalid_redirect_uri" | "invalid_request",
    readonly detail: string,
  ) {
    super(detail);
    this.name = "UntrustedAuthorizationRequest";
  }
}

export type AuthorizationErrorCode =
  | "invalid_request"
  | "unsupported_response_type"
  | "invalid_scope"
  | "login_required"
  | "account_selection_required"
  | "consent_required"
  | "request_not_supported"
  | "request_uri_not_supported"
  | "access_denied"
  | "server_error"
  | "temporarily_unavailable";

/** A refusal told to the client, at its registered redirect URI. */
export class AuthorizationError extends Error {
  constructor(
    readonly error: AuthorizationErrorCode,
    readonly description: string,
  ) {
    super(description);
    this.name = "AuthorizationError";
  }
}

/** A parameter given more than once is ambiguous, and refused (RFC 6749 §3.1). */
function single(parameters: URLSearchParams, name: string): string | undefined {
  const values = parameters.getAll(name);
  if (values.length > 1) throw new AuthorizationError("invalid_request", `The parameter ${name} is given more than once`);
  return values[0] === "" ? undefined : values[0];
}

const Bounded = (max: number) => v.pipe(v.string(), v.maxLength(max));
const MaxAge = v.pipe(v.string(), v.regex(/^\d{1,9}$/), v.transform(Number));
const CodeChallenge = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/));

function checked<T>(schema: v.GenericSchema<string, T>, value: string | undefined, name: string): T | undefined {
  if (value === undefined) return undefined;
  const parsed = v.safeParse(schema, value);
  if (!parsed.success) throw new AuthorizationError("invalid_request", `The parameter ${name} is not valid`);
  return parsed.output;
}

/** The client, then its redirect URI: refusals here are pages (nothing can be sent back safely). */
function trustedTarget(config: Config, parameters: URLSearchParams): { client: Client; redirectUri: string } {
  const clientIds = parameters.getAll("client_id");
  const redirectUris = parameters.getAll("redirect_uri");
  if (clientIds.length !== 1 || !clientIds[0]) {
    throw new UntrustedAuthorizationRequest("invalid_request", "The request names no client (client_id), or more than one.");
  }
  const client = registeredClient(config, clientIds[0]);
  if (!client) throw new UntrustedAuthorizationRequest("invalid_client", "The application that sent you here is not registered.");
  if (redirectUris.length !== 1 || !client.redirectUris.includes(redirectUris[0]!)) {
    // Exact match only (RFC 9700 §4.1.1); an absent one is refused too: OIDC Core §3.1.2.1 requires it.
    throw new UntrustedAuthorizationRequest("invalid_redirect_uri", "The address to return to is not one the application registered.");
  }
  return { client, redirectUri: redirectUris[0]! };
}

/**
 * Checks an authorization request. Throws `UntrustedAuthorizationRequest` (a page) or, once the target is
 * trusted, `AuthorizationError` (a redirect; `targetOf` gives where to).
 */
export function authorizationRequestOf(config: Config, parameters: URLSearchParams): AuthorizationRequest {
  const { client, redirectUri } = trustedTarget(config, parameters);

  if (single(parameters, "request") !== undefined) throw new AuthorizationError("request_not_supported", "Request objects are not supported");
  if (single(parameters, "request_uri") !== undefined) throw new AuthorizationError("request_uri_not_supported", "request_uri is not supported");
  const responseType = single(parameters, "response_type");
  if (responseType !== "code") {
    throw new AuthorizationError(responseType ? "unsupported_response_type" : "invalid_request", "response_type must be code");
  }
  const responseMode = single(parameters, "response_mode");
  if (responseMode !== undefined && responseMode !== "query") throw new AuthorizationError("invalid_request", "response_mode must be query");

  const scopes = (single(parameters, "scope") ?? "").split(" ").filter(Boolean);
  if (!scopes.includes("openid")) throw new AuthorizationError("invalid_scope", "The scope must include openid");
  const refused = scopes.filter((scope) => !(supportedScopes as readonly string[]).includes(scope) || !(client.scopes as readonly string[]).includes(scope));
  if (refused.length > 0) throw new AuthorizationError("invalid_scope", `Scope not allowed for this client: ${refused.join(" ")}`);

  const codeChallenge = checked(CodeChallenge, single(parameters, "code_challenge"), "code_challenge");
  const method = single(parameters, "code_challenge_method");
  if (codeChallenge !== undefined && method !== "S256") throw new AuthorizationError("invalid_request", "code_challenge_method must be S256");
  if (codeChallenge === undefined && method !== undefined) throw new AuthorizationError("invalid_request", "code_challenge_method without code_challenge");
  // RFC 9700 §2.1.1 and OAuth 2.1: a public client proves the code is its own with PKCE.
  if (codeChallenge === undefined && client.secretHash === undefined) {
    throw new AuthorizationError("invalid_request", "A public client must send a PKCE code_challenge (S256)");
  }

  const prompts = new Set<Prompt>();
  for (const value of (single(parameters, "prompt") ?? "").split(" ").filter(Boolean)) {
    if (!(PROMPTS as readonly string[]).includes(value)) throw new AuthorizationError("invalid_request", `Unknown prompt value: ${value}`);
    prompts.add(value as Prompt);
  }
  if (prompts.has("none") && prompts.size > 1) throw new AuthorizationError("invalid_request", "prompt=none cannot be combined with other values");

  return {
    client,
    redirectUri,
    state: checked(Bounded(2000), single(parameters, "state"), "state"),
    nonce: checked(Bounded(500), single(parameters, "nonce"), "nonce"),
    scope: scopes.join(" "),
    codeChallenge,
    prompts,
    maxAge: checked(MaxAge, single(parameters, "max_age"), "max_age"),
    loginHint: checked(Bounded(320), single(parameters, "login_hint"), "login_hint"),
    idTokenHint: checked(Bounded(8192), single(parameters, "id_token_hint"), "id_token_hint"),
    uiLocales: checked(Bounded(200), single(parameters, "ui_locales"), "ui_locales"),
    parameters,
  };
}

/**
 * Where a refusal of a request whose target is trusted goes: its redirect URI with `error`,
 * `error_description`, `state` and `iss`; undefined when the target itself is not trusted.
 */
export function targetOf(config: Config, parameters: URLSearchParams): { redirectUri: string; state?: string } | undefined {
  try {
    const { redirectUri } = trustedTarget(config, parameters);
    const states = parameters.getAll("state");
    return { redirectUri, state: states.length === 1 ? states[0] : undefined };
  } catch {
    return undefined;
  }
}
