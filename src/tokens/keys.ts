import { createLocalJWKSet, importJWK, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import * as v from "valibot";
import { derivedHmacKey } from "../crypto/derived-keys";
import type { AccessTokenClaims } from "./jwt";

/** The one signing algorithm of this issuer (ECDSA P-256): small keys, fast to verify. */
export const SIGNING_ALG = "ES256";

const PrivateJwk = v.object({
  kty: v.literal("EC"),
  crv: v.literal("P-256"),
  x: v.string(),
  y: v.string(),
  d: v.string(),
  kid: v.pipe(v.string(), v.minLength(1)),
});
/** `SIGNING_KEYS`: this region's private keys, newest first. */
const SigningKeysSecret = v.pipe(v.string(), v.parseJson(), v.array(PrivateJwk), v.minLength(1));

export interface SigningKeys {
  /** The first key of the secret signs every new token. */
  current: { kid: string; key: CryptoKey };
  /** The public half of every key, as published at the issuer's `jwks_uri`. */
  jwks: JSONWebKeySet;
  /** Picks the verification key by the token's `kid`; a token signed by a retired key still verifies. */
  verificationKey: JWTVerifyGetKey;
  /** Access tokens these keys have verified, until their expiry (tokens/jwt.ts). */
  verified: Map<string, { claims: AccessTokenClaims; exp: number }>;
  /**
   * The HMAC key that signs refresh tokens (tokens/refresh-token.ts) with each signing key, by its `kid`:
   * derived from that key's private part (HKDF), so that no further secret is deployed, and a token
   * minted under a key that is kept after a rotation still verifies.
   */
  refreshKeys: ReadonlyMap<string, CryptoKey>;
  /**
   * The HMAC key of the unknown-login buckets (credentials/login-buckets.ts), derived from the whole
   * secret: a key rotation starts their counts afresh.
   */
  loginBucketKey: CryptoKey;
}

const loaded = new Map<string, Promise<SigningKeys>>();

/**
 * The region's signing keys, from the `SIGNING_KEYS` Worker secret (a JSON array of private JWKs), once
 * per isolate; callers reach them through `configOf(env).signingKeys()`.
 * Rotation: put a new key first and keep the old one after it until the tokens it signed have expired.
 */
export function signingKeys(secret: string | undefined): Promise<SigningKeys> {
  if (!secret) return Promise.reject(new Error("The SIGNING_KEYS secret is not set"));
  let keys = loaded.get(secret);
  if (!keys) {
    keys = load(secret);
    loaded.set(secret, keys);
  }
  return keys;
}

async function load(secret: string): Promise<SigningKeys> {
  const privateJwks = v.parse(SigningKeysSecret, secret);
  const [first] = privateJwks as [v.InferOutput<typeof PrivateJwk>];
  const key = (await importJWK({ ...first, alg: SIGNING_ALG }, SIGNING_ALG)) as CryptoKey;
  const jwks: JSONWebKeySet = {
    keys: privateJwks.map(({ kty, crv, x, y, kid }) => ({ kty, crv, x, y, kid, alg: SIGNING_ALG, use: "sig" })),
  };
  const refreshKeys = new Map(await Promise.all(privateJwks.map(async (jwk) => [jwk.kid, await derivedHmacKey(jwk.d, "refresh tokens")] as const)));
  const loginBucketKey = await derivedHmacKey(secret, "unknown-login buckets");
  return { current: { kid: first.kid, key }, jwks, verificationKey: createLocalJWKSet(jwks), verified: new Map(), refreshKeys, loginBucketKey };
}
