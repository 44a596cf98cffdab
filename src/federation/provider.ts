import type { JWTPayload } from "jose";
import type { AccountKind, ProviderName } from "../db/schema";
import type { ProviderBindings } from "./bindings";
import type { IdTokenClaims } from "./claims";

/** Where a provider lives. Every one is configurable, so tests and `npm run dev` use a local OIDC server. */
export interface Endpoints {
  issuer: string;
  authorization: string;
  token: string;
  jwks: string;
}

/** What a provider tells us of a person, from a verified ID token. */
export interface Profile {
  /** The stable key of the identity: `sub`, or for Microsoft `tid/oid`. Never the e-mail. */
  subject: string;
  /** An address the provider vouches for (rule E), or null: never one it merely repeats. */
  email: string | null;
  firstName: string | null;
  lastName: string | null;
}

/** Names the app or the provider handed over outside the ID token (Apple's first-authorization `user`). */
export interface GivenNames {
  firstName?: string | null;
  lastName?: string | null;
}

/**
 * One external identity provider: mostly configuration. The rule X decisions live above it
 * (`rule-x.ts`), once for all providers.
 */
export interface Provider {
  name: ProviderName;
  /** The web client id: the redirect flow's audience. */
  clientId: string;
  /** More audiences for ID tokens from the app's native SDK (bundle ids, mobile client ids). */
  nativeClientIds: string[];
  scopes: string[];
  /** Work and personal accounts may use different endpoints (Microsoft: organizations vs consumers). */
  endpoints(account: AccountKind): Endpoints;
  /** Authorization-request parameters beyond OAuth's (Apple: `response_mode=form_post`). */
  authorizationParams: Record<string, string>;
  /** The client secret for the token request; Apple's is a short-lived JWT. */
  clientSecret(): Promise<string | null>;
  /** Whether the token's `iss` is this provider's (Microsoft's issuer embeds the user's `tid`). */
  issuerMatches(account: AccountKind, claims: JWTPayload): boolean;
  /** Who a verified token names; throws `InvalidClaim` when a claim the identity rests on is malformed. */
  profile(claims: IdTokenClaims, given: GivenNames): Profile;
}

/** A provider's endpoints: each the `{PREFIX}_ISSUER`-style override if set, else the real provider's. */
export function endpointsFrom(env: ProviderBindings, prefix: "APPLE" | "GOOGLE", defaults: Endpoints): Endpoints {
  return {
    issuer: env[`${prefix}_ISSUER`] ?? defaults.issuer,
    authorization: env[`${prefix}_AUTHORIZATION_ENDPOINT`] ?? defaults.authorization,
    token: env[`${prefix}_TOKEN_ENDPOINT`] ?? defaults.token,
    jwks: env[`${prefix}_JWKS_URI`] ?? defaults.jwks,
  };
}

export function splitList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}
