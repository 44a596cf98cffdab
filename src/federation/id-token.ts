import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { sha256Hex } from "../crypto/secrets";
import type { AccountKind } from "../db/schema";
import { AppError } from "../http/errors";
import { InvalidClaim, subject, validAddress, type IdTokenClaims } from "./claims";
import type { GivenNames, Profile, Provider } from "./provider";

/** Seconds of clock skew allowed between a provider and us, on `exp` and `iat`. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** Each provider's JWKS, fetched on first use and cached by jose (refetched for an unknown `kid`). */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySet(uri: string) {
  let keys = keySets.get(uri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000 });
    keySets.set(uri, keys);
  }
  return keys;
}

export interface Expectations {
  account: AccountKind;
  audiences: string[];
  /** The nonce the app sent with the token (or we sent the provider); undefined when there is none. */
  nonce?: string;
  /**
   * What a bad token is: `invalid_credentials` when the app presented it, `provider_error` when it came
   * straight from the provider's token endpoint in the redirect flow.
   */
  refusal: "invalid_credentials" | "provider_error";
  /** Names handed over outside the token (Apple's, on the first authorization). */
  given: GivenNames;
}

/** A verified ID token: its claims, and the person it names. */
export interface VerifiedIdToken {
  claims: IdTokenClaims;
  profile: Profile;
}

/** What the app is told about a token jose refused: the cause it can act on, else that it is not valid. */
function refusalDetail(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return "The ID token has expired: get a new one from the provider.";
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === "aud") return "The ID token was issued for another app.";
  return "The ID token is not valid: it is malformed or not signed by the provider.";
}

/**
 * Verifies an ID token from `provider` and reads who it names: signature by a key of its JWKS (RS256 or
 * ES256), `aud` among `audiences`, `exp`/`iat`, the provider's `iss`, the nonce, and the claims the
 * identity is keyed on (typed: `claims.ts`). The provider's e-mail is kept only if it is an address. A
 * provider whose keys cannot be fetched is `provider_error`.
 */
export async function verifyIdToken(provider: Provider, token: string, expected: Expectations): Promise<VerifiedIdToken> {
  // The app sees `detail`; why exactly the token was refused goes to the log only.
  const refused = (detail: string, internal: string) =>
    new AppError(expected.refusal, { detail, internal: `${provider.name} ID token: ${internal}` });
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, keySet(provider.endpoints(expected.account).jwks), {
      algorithms: ["RS256", "ES256"],
      audience: expected.audiences,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["sub", "exp", "iat"],
    }));
  } catch (error) {
    // jose's generic error is the JWKS endpoint answering other than 200: the provider's trouble, not the token's.
    const providerTrouble = error instanceof errors.JWKSTimeout || (error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC");
    if (error instanceof errors.JOSEError && !providerTrouble) throw refused(refusalDetail(error), `${error.code} ${error.message}`);
    throw new AppError("provider_error", {
      detail: "The provider's signing keys could not be fetched: try again in a moment.",
      internal: `${provider.name} JWKS: ${String(error)}`,
    });
  }
  const notValid = "The ID token is not valid: it was not issued by the provider for this kind of account.";
  if (!provider.issuerMatches(expected.account, claims)) throw refused(notValid, `iss ${claims.iss}`);
  await checkNonce(claims, expected.nonce, refused);
  try {
    // jose has checked that exp and iat are numbers; subject() checks sub.
    const verified = { ...claims, sub: subject(claims) } as IdTokenClaims;
    const profile = provider.profile(verified, expected.given);
    return { claims: verified, profile: { ...profile, email: validAddress(profile.email) } };
  } catch (error) {
    if (error instanceof InvalidClaim) throw refused("The ID token does not identify a person: a claim it must carry is malformed.", error.message);
    throw error;
  }
}

/**
 * The nonce binds a token to the sign-in that asked for it. A token that carries one is good only with
 * it: without, anyone holding the token (a log, another app) could sign in with it. Apple's native SDK
 * puts the SHA-256 (hex) of the app's nonce in the token, so both forms are accepted.
 */
async function checkNonce(claims: JWTPayload, nonce: string | undefined, refused: (detail: string, internal: string) => AppError) {
  if (nonce === undefined && claims.nonce === undefined) return;
  if (nonce === undefined) {
    throw refused("The ID token was issued with a nonce: send that nonce with it.", "nonce in the token, none in the request");
  }
  const accepted = [nonce, await sha256Hex(nonce)];
  if (typeof claims.nonce !== "string" || !accepted.includes(claims.nonce)) {
    throw refused("The ID token was not issued for this sign-in: its nonce is not the one sent.", "nonce mismatch");
  }
}
