import { lt } from "drizzle-orm";
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import type { Database } from "../db/client";
import { deleteSome, type Pruner } from "../db/prune";
import { usedClientAssertions } from "../db/schema";
import { sha256 } from "../crypto/secrets";
import type { DeviceClient, KeyDevice } from "./device-clients";
import { assertionAlgs } from "./device-keys";

/**
 * `private_key_jwt` (OpenID Connect Core §9, RFC 7523 §2.2 and §3, RFC 7521 §4.2): a device registered
 * with public keys authenticates by a short-lived JWT it signs, naming itself (`iss` = `sub` = its id) and
 * this issuer (`aud`), each assertion once (`jti`). What the caller answers for a refusal is
 * `invalid_client`, with the reason this file gives: short, and never a claim's value.
 */

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * An assertion lives at most this long ahead of now: a captured one is useful only briefly, and the ledger
 * of spent `jti`s stays small.
 */
const MAX_ASSERTION_SECONDS = 300;
/** How far a device's clock may be off ours for `exp`, `nbf` and `iat`. */
const CLOCK_SKEW_SECONDS = 30;

/**
 * The client an assertion names (its `sub`), read unverified: only to find whose keys verify it. Undefined
 * when it is no JWT or names no one.
 */
export function assertedClientId(assertion: string): string | undefined {
  try {
    const { sub } = decodeJwt(assertion);
    return typeof sub === "string" && sub !== "" ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** Why jose refused an assertion, in words for the device's developer. */
function refusalOf(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return "The client assertion has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss" || error.claim === "sub") return "The client assertion's iss and sub must both be the client's id";
    if (error.claim === "aud") return "The client assertion's aud must be this issuer or its token endpoint";
    if (error.claim === "nbf") return "The client assertion is not valid yet (nbf)";
    return `The client assertion needs a valid ${error.claim} claim`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return `The client assertion must be signed with ${assertionAlgs.join(" or ")}`;
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) return "The client assertion's header must name its key (kid)";
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return "The client assertion's signature does not verify with the client's registered keys";
  }
  return "The client assertion is not a valid signed JWT";
}

/**
 * Spends the assertion's `jti` for this device: false when it was spent already. The row lives as long as
 * the assertion could still verify; the primary key lets exactly one of two concurrent requests spend it.
 */
async function spendJti(db: Database, device: DeviceClient, jti: string, exp: number): Promise<boolean> {
  const spent = await db
    .insert(usedClientAssertions)
    .values({
      jtiHash: await sha256(`${device.id}\0${jti}`),
      tenantId: device.tenantId,
      expiresAt: new Date((exp + CLOCK_SKEW_SECONDS) * 1000),
    })
    .onConflictDoNothing()
    .returning({ jtiHash: usedClientAssertions.jtiHash })
    .get();
  return spent !== undefined;
}

/**
 * Checks a device's client assertion against its registered keys, for the tenant whose `issuer` is asked:
 * signed ES256 or RS256 by one of them, `iss` and `sub` the device's id, `aud` the issuer or its token
 * endpoint, `exp` present and at most 5 minutes ahead, `nbf` and `iat` not in the future, and a `jti`
 * not used before, which is then spent. Returns why it is refused, or undefined: the device is
 * authenticated.
 */
export async function assertionRefusal(
  db: Database,
  device: KeyDevice,
  assertion: string,
  issuer: string,
  now = new Date(),
): Promise<string | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(device.jwks as JSONWebKeySet), {
      algorithms: [...assertionAlgs],
      issuer: device.id,
      subject: device.id,
      audience: [issuer, `${issuer}/token`],
      requiredClaims: ["exp", "jti"],
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: now,
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError) return refusalOf(error);
    throw error;
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const { exp, iat, jti } = payload as JWTPayload & { exp: number };
  if (exp > nowSeconds + MAX_ASSERTION_SECONDS + CLOCK_SKEW_SECONDS) {
    return `The client assertion may live at most ${MAX_ASSERTION_SECONDS / 60} minutes: its exp is too far ahead`;
  }
  if (iat !== undefined && iat > nowSeconds + CLOCK_SKEW_SECONDS) return "The client assertion's iat is in the future";
  if (typeof jti !== "string" || jti === "") return "The client assertion needs a valid jti claim";
  if (!(await spendJti(db, device, jti, exp))) return "The client assertion was used already: sign a new one, with a new jti";
  return undefined;
}

/** For the scheduled clean-up: a spent jti past its assertion's expiry guards nothing. */
export const pruneUsedClientAssertions: Pruner = (db, now, limit) => [
  deleteSome(db, usedClientAssertions, lt(usedClientAssertions.expiresAt, now), limit),
];
