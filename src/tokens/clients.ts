import * as v from "valibot";
import type { Config } from "../config";
import { idTokenAlgs, type SigningAlg } from "./keys";

/** The app's client id; must be one of the region's registered clients. */
export const ClientId = v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.metadata({ example: "printid-mobile" }));

/** The scopes this issuer grants (discovery's `scopes_supported`). */
export const supportedScopes = ["openid", "profile", "email"] as const;

/** The grants of the token endpoint (discovery's `grant_types_supported`). */
export const grantTypes = ["authorization_code", "refresh_token"] as const;
export type GrantType = (typeof grantTypes)[number];

/** OAuth scope: space-separated, each one supported; `openid` adds an ID token. */
export const ScopeParam = v.pipe(
  v.string(),
  v.maxLength(100),
  v.check(
    (scope) => scope.split(" ").every((token) => (supportedScopes as readonly string[]).includes(token)),
    `Space-separated, among: ${supportedScopes.join(", ")}`,
  ),
  v.metadata({ example: "openid" }),
);

const uri = v.pipe(v.string(), v.minLength(1));

/** OpenID Connect Registration §2: `id_token_signed_response_alg` defaults to RS256. */
const DEFAULT_ID_TOKEN_ALG: SigningAlg = "RS256";

/**
 * A registered client, as the region's `CLIENTS` var lists it (README, "Clients"). Only `id` and
 * `redirectUris` are required, so a list written before the other fields existed stays valid.
 */
export const ClientSchema = v.pipe(
  v.object({
    id: v.pipe(v.string(), v.minLength(1)),
    /** What the hosted pages call it; the id when unset. */
    name: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** Matched exactly (RFC 9700 §4.1.3). */
    redirectUris: v.pipe(v.array(uri), v.minLength(1)),
    /** Where RP-initiated logout may send the browser back to, matched exactly. */
    postLogoutRedirectUris: v.optional(v.array(uri), []),
    /**
     * base64url SHA-256 of the client's secret. Present: a confidential client, which authenticates at
     * /token and /revoke (client_secret_basic or client_secret_post). The secret itself is never stored.
     */
    secretHash: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, "Not a base64url SHA-256 (43 characters)"))),
    grantTypes: v.optional(v.pipe(v.array(v.picklist(grantTypes)), v.minLength(1)), [...grantTypes]),
    /** What the client may be granted; a request for more gets only these (RFC 6749 §3.3). */
    scopes: v.optional(v.array(v.picklist(supportedScopes)), [...supportedScopes]),
    idTokenSignedResponseAlg: v.optional(v.picklist(idTokenAlgs), DEFAULT_ID_TOKEN_ALG),
  }),
  v.transform((client) => ({ ...client, name: client.name ?? client.id })),
);
export type Client = v.InferOutput<typeof ClientSchema>;

export function registeredClient(config: Config, clientId: string): Client | undefined {
  return config.clients.get(clientId);
}

/** A client with a secret (a web application's server), as opposed to a public one (an app, PKCE only). */
export function isConfidential(client: Client): client is Client & { secretHash: string } {
  return client.secretHash !== undefined;
}

/**
 * The client an app names in printid's own sign-in routes (the JSON password sign-in, registration, and
 * the provider flows of the apps): a registered public client. Those routes take no client secret, so a
 * confidential client's id alone must not get its tokens there; it signs people in through /authorize.
 */
export function appClient(config: Config, clientId: string): Client | undefined {
  const client = registeredClient(config, clientId);
  return client && !isConfidential(client) ? client : undefined;
}

/**
 * The part of `scope` that `clientId` may be granted, in the order asked (RFC 6749 §3.3: the server may
 * grant less than asked, and the token response says what it granted). printid's own console, which is
 * not a registered client, is not narrowed.
 */
export function allowedScope(config: Config, clientId: string, scope: string): string {
  const client = registeredClient(config, clientId);
  if (!client) return scope;
  return scope
    .split(" ")
    .filter((token) => (client.scopes as readonly string[]).includes(token))
    .join(" ");
}

/** How the client's ID tokens are signed; printid's own console, not a registered client, gets the default. */
export function idTokenAlgOf(config: Config, clientId: string): SigningAlg {
  return registeredClient(config, clientId)?.idTokenSignedResponseAlg ?? DEFAULT_ID_TOKEN_ALG;
}
