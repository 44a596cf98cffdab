import { jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { Config } from "../config";
import type { Tenant, User } from "../db/schema";
import { scopedClaims } from "./claims";
import { ACCESS_TOKEN_ALG, type SigningAlg, type SigningKeys } from "./keys";

/** Access tokens live 10 minutes (the contract allows 15): rule P re-checks state on every request anyway. */
export const ACCESS_TOKEN_SECONDS = 10 * 60;
export const ID_TOKEN_SECONDS = 10 * 60;

/** Each tenant of each region is its own issuer. */
export function issuerOf(config: Config, tenant: Pick<Tenant, "slug">): string {
  return `${config.origin}/t/${tenant.slug}`;
}

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  tid: string;
  region: string;
  aud: string;
  /** RFC 9068 §2.2.3: the scope granted, which UserInfo answers by. */
  scope: string;
}

/**
 * The claims rule P relies on, checked by hand: the signature already vouches for the token, this only
 * guards against a token of another shape (e.g. an ID token), and runs on every authenticated request.
 */
function accessTokenClaims(payload: JWTPayload): AccessTokenClaims | undefined {
  const { sub, sid, tid, region, aud, scope } = payload;
  const strings = [sub, sid, tid, region, aud, scope];
  return strings.every((value) => typeof value === "string")
    ? ({ sub, sid, tid, region, aud, scope } as AccessTokenClaims)
    : undefined;
}

export interface TokenSubject {
  issuer: string;
  config: Config;
  tenant: Tenant;
  user: User;
  sessionId: string;
  clientId: string;
}

/** An RFC 9068 JWT access token with the contract's claims. */
export function signAccessToken(keys: SigningKeys, subject: TokenSubject, scope: string, seconds = ACCESS_TOKEN_SECONDS): Promise<string> {
  const claims = {
    sid: subject.sessionId,
    tid: subject.tenant.id,
    region: subject.config.region,
    roles: subject.user.roles,
    scope,
    client_id: subject.clientId,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: keys.current[ACCESS_TOKEN_ALG].kid, typ: "at+jwt" })
    .setIssuer(subject.issuer)
    .setSubject(subject.user.id)
    .setAudience(subject.clientId)
    .setIssuedAt()
    .setExpirationTime(`${seconds}s`)
    .setJti(crypto.randomUUID())
    .sign(keys.current[ACCESS_TOKEN_ALG].key);
}

/** What an ID token carries beyond who it names and for whom. */
export interface IdTokenContent {
  scope: string;
  /** The client's `idTokenSignedResponseAlg`. */
  alg: SigningAlg;
  /** When the person authenticated (OpenID Connect Core §2 `auth_time`), kept through refreshes. */
  authTime: Date;
  /** How the person authenticated (RFC 8176, factors/amr.ts); left out when not known (sessions older than it). */
  amr?: string[] | null;
  nonce?: string | null;
}

/**
 * An OpenID Connect ID token, for clients that asked for the `openid` scope; it says about the person only
 * what the other scopes granted (`email`, `profile`).
 */
export function signIdToken(keys: SigningKeys, subject: TokenSubject, content: IdTokenContent): Promise<string> {
  const { user } = subject;
  const signer = keys.current[content.alg];
  return new SignJWT({
    sid: subject.sessionId,
    auth_time: Math.floor(content.authTime.getTime() / 1000),
    ...(content.amr?.length ? { amr: content.amr } : {}),
    ...(content.nonce ? { nonce: content.nonce } : {}),
    ...scopedClaims(user, content.scope),
  })
    .setProtectedHeader({ alg: content.alg, kid: signer.kid, typ: "JWT" })
    .setIssuer(subject.issuer)
    .setSubject(user.id)
    .setAudience(subject.clientId)
    .setIssuedAt()
    .setExpirationTime(`${ID_TOKEN_SECONDS}s`)
    .sign(signer.key);
}

/** How many verified access tokens an isolate remembers; past that it starts afresh. */
const VERIFIED_CACHE_SIZE = 2000;

/**
 * Verifies an access token of this issuer: signature by one of this region's keys (by `kid`, ES256 only,
 * so `alg: none`, HMAC tricks and the region's RSA keys fail), `iss`, `aud` among the registered clients, `exp`, `typ`.
 * Returns undefined for any token that is not one.
 *
 * An app presents the same token on every request for ten minutes, so the isolate remembers tokens it
 * has verified (the exact string, for this issuer) until their `exp`: the signature is checked once.
 * This is only the token's own validity; rule P's look-up of tenant, session and user still runs on
 * every request. The memory belongs to the keyset, so a rotated SIGNING_KEYS starts it afresh.
 */
export async function verifyAccessToken(
  keys: SigningKeys,
  token: string,
  expected: { issuer: string },
): Promise<AccessTokenClaims | undefined> {
  const key = `${expected.issuer} ${token}`;
  const remembered = keys.verified.get(key);
  if (remembered) {
    if (remembered.exp * 1000 > Date.now()) return remembered.claims;
    keys.verified.delete(key);
  }
  const verified = await verify(keys, token, expected);
  if (verified) {
    if (keys.verified.size >= VERIFIED_CACHE_SIZE) keys.verified.clear();
    keys.verified.set(key, verified);
  }
  return verified?.claims;
}

async function verify(
  keys: SigningKeys,
  token: string,
  expected: { issuer: string },
): Promise<{ claims: AccessTokenClaims; exp: number } | undefined> {
  try {
    const { payload } = await jwtVerify(token, keys.verificationKey, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: expected.issuer,
      typ: "at+jwt",
      requiredClaims: ["exp", "iat", "sub"],
    });
    const claims = accessTokenClaims(payload);
    return claims && { claims, exp: payload.exp! };
  } catch {
    return undefined;
  }
}
