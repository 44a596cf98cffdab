import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import type { AccountKind } from "../db/schema";
import { AppError } from "../http/errors";
import type { Provider } from "./provider";

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

async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export interface Expectations {
  account: AccountKind;
  audiences: string[];
  /** The nonce the token must carry; undefined when the app did not use one. */
  nonce?: string;
  /**
   * What a bad token is: `invalid_credentials` when the app presented it, `provider_error` when it came
   * straight from the provider's token endpoint in the redirect flow.
   */
  refusal: "invalid_credentials" | "provider_error";
}

/**
 * Verifies an ID token from `provider`: signature by a key of its JWKS (RS256 or ES256), `aud` among
 * `audiences`, `exp`/`iat`, the provider's `iss`, and the nonce. A provider whose keys cannot be
 * fetched is `provider_error`.
 */
export async function verifyIdToken(provider: Provider, token: string, expected: Expectations): Promise<JWTPayload> {
  // Why a token was refused goes to the log; the client sees only the code.
  const refused = (internal: string) => new AppError(expected.refusal, { detail: "The ID token is not valid", internal });
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, keySet(provider.endpoints(expected.account).jwks), {
      algorithms: ["RS256", "ES256"],
      audience: expected.audiences,
      clockTolerance: 30,
      requiredClaims: ["sub", "exp", "iat"],
    }));
  } catch (error) {
    // jose's generic error is the JWKS endpoint answering other than 200: the provider's trouble, not the token's.
    const providerTrouble = error instanceof errors.JWKSTimeout || (error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC");
    if (error instanceof errors.JOSEError && !providerTrouble) {
      throw refused(`${provider.name} ID token: ${error.code} ${error.message}`);
    }
    throw new AppError("provider_error", { internal: `${provider.name} JWKS: ${String(error)}` });
  }
  if (!provider.issuerMatches(expected.account, claims)) throw refused(`${provider.name} ID token: iss ${claims.iss}`);
  if (expected.nonce !== undefined) {
    // Apple's native SDK puts the SHA-256 (hex) of the app's nonce in the token.
    const accepted = [expected.nonce, await sha256Hex(expected.nonce)];
    if (typeof claims.nonce !== "string" || !accepted.includes(claims.nonce)) {
      throw refused(`${provider.name} ID token: nonce mismatch`);
    }
  }
  return claims;
}
