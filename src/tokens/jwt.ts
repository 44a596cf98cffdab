import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { Config } from "../config";
import { roleNames, type Tenant, type User } from "../db/schema";
import { SIGNING_ALG, type SigningKeys } from "./keys";

/** Access tokens live 10 minutes (the contract allows 15): rule P re-checks state on every request anyway. */
export const ACCESS_TOKEN_SECONDS = 10 * 60;
export const ID_TOKEN_SECONDS = 10 * 60;

/** Each tenant of each region is its own issuer. */
export function issuerOf(config: Config, tenant: Pick<Tenant, "slug">): string {
  return `${config.origin}/t/${tenant.slug}`;
}

const AccessTokenClaims = z.object({
  sub: z.string(),
  sid: z.string(),
  tid: z.string(),
  region: z.string(),
  roles: z.array(z.enum(roleNames)),
  aud: z.string(),
});
export type AccessTokenClaims = z.infer<typeof AccessTokenClaims>;

export interface TokenSubject {
  issuer: string;
  config: Config;
  tenant: Tenant;
  user: User;
  sessionId: string;
  clientId: string;
}

/** An RFC 9068 JWT access token with the contract's claims. */
export function signAccessToken(keys: SigningKeys, subject: TokenSubject, scope: string): Promise<string> {
  const claims = {
    sid: subject.sessionId,
    tid: subject.tenant.id,
    region: subject.config.region,
    roles: subject.user.roles,
    scope,
    client_id: subject.clientId,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALG, kid: keys.current.kid, typ: "at+jwt" })
    .setIssuer(subject.issuer)
    .setSubject(subject.user.id)
    .setAudience(subject.clientId)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_SECONDS}s`)
    .setJti(crypto.randomUUID())
    .sign(keys.current.key);
}

/** An OpenID Connect ID token, for clients that asked for the `openid` scope. */
export function signIdToken(keys: SigningKeys, subject: TokenSubject, nonce?: string | null): Promise<string> {
  const { user } = subject;
  const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
  return new SignJWT({
    sid: subject.sessionId,
    ...(nonce ? { nonce } : {}),
    preferred_username: user.username,
    ...(user.email ? { email: user.email } : {}),
    ...(name ? { name } : {}),
    ...(user.firstName ? { given_name: user.firstName } : {}),
    ...(user.lastName ? { family_name: user.lastName } : {}),
  })
    .setProtectedHeader({ alg: SIGNING_ALG, kid: keys.current.kid, typ: "JWT" })
    .setIssuer(subject.issuer)
    .setSubject(user.id)
    .setAudience(subject.clientId)
    .setIssuedAt()
    .setExpirationTime(`${ID_TOKEN_SECONDS}s`)
    .sign(keys.current.key);
}

/**
 * Verifies an access token of this issuer: signature by one of this region's keys (by `kid`, ES256 only,
 * so `alg: none` and HMAC tricks fail), `iss`, `aud` among the registered clients, `exp`, `typ`.
 * Returns undefined for any token that is not one.
 */
export async function verifyAccessToken(
  keys: SigningKeys,
  token: string,
  expected: { issuer: string; audiences: string[] },
): Promise<AccessTokenClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, keys.verificationKey, {
      algorithms: [SIGNING_ALG],
      issuer: expected.issuer,
      audience: expected.audiences,
      typ: "at+jwt",
      requiredClaims: ["exp", "iat", "sub"],
    });
    const claims = AccessTokenClaims.safeParse(payload);
    return claims.success ? claims.data : undefined;
  } catch {
    return undefined;
  }
}
