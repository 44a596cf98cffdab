import { base64url, createLocalJWKSet, importJWK, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from "jose";
import * as v from "valibot";
import { derivedHmacKey } from "../crypto/derived-keys";
import type { AccessTokenClaims } from "./jwt";

/** Access tokens are always ECDSA P-256: small, fast to verify on every request (rule P). */
export const ACCESS_TOKEN_ALG = "ES256";

/**
 * The algorithms an ID token may be signed with, the client's choice (`idTokenSignedResponseAlg`):
 * RS256 first, the default of OpenID Connect (Core §3.1.3.7, Registration §2) and what many relying
 * parties assume; ES256 on request.
 */
export const idTokenAlgs = ["RS256", "ES256"] as const;
export type SigningAlg = (typeof idTokenAlgs)[number];

/** RFC 7518 §3.3: an RSA key for RS256 is 2048 bits or larger. */
const MIN_RSA_BITS = 2048;

const kid = v.pipe(v.string(), v.minLength(1));
const member = v.pipe(v.string(), v.minLength(1));

const EcJwk = v.object({
  kty: v.literal("EC"),
  crv: v.literal("P-256"),
  x: member,
  y: member,
  d: member,
  kid,
  alg: v.optional(v.literal("ES256")),
});

const RsaJwk = v.object({
  kty: v.literal("RSA"),
  n: v.pipe(
    member,
    v.check((n) => base64url.decode(n).length * 8 >= MIN_RSA_BITS, `fewer than ${MIN_RSA_BITS} bits`),
  ),
  e: member,
  d: member,
  p: member,
  q: member,
  dp: member,
  dq: member,
  qi: member,
  kid,
  alg: v.optional(v.literal("RS256")),
});
type PrivateJwk = v.InferOutput<typeof EcJwk> | v.InferOutput<typeof RsaJwk>;

const algOf = (jwk: PrivateJwk): SigningAlg => (jwk.kty === "EC" ? "ES256" : "RS256");

/** `SIGNING_KEYS`: this region's private keys, newest first, at least one of each kind, each `kid` once. */
const SigningKeysSecret = v.pipe(
  v.string(),
  v.parseJson(undefined, "not JSON"),
  v.array(v.variant("kty", [EcJwk, RsaJwk], "not an EC P-256 or RSA private JWK")),
  v.check(
    (jwks) => idTokenAlgs.every((alg) => jwks.some((jwk) => algOf(jwk) === alg)),
    "needs at least one EC P-256 key (ES256: access tokens, ID tokens on request) and one RSA key of 2048 bits or more (RS256: ID tokens by default)",
  ),
  v.check((jwks) => new Set(jwks.map((jwk) => jwk.kid)).size === jwks.length, "each key needs its own kid"),
);

export interface SigningKey {
  kid: string;
  key: CryptoKey;
}

export interface SigningKeys {
  /** The key that signs new tokens of each algorithm: the first key of its kind in the secret. */
  current: Record<SigningAlg, SigningKey>;
  /** The public half of every key, with its `kid`, `alg` and `use`, as published at the issuer's `jwks_uri`. */
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
 * Rotation: put a new key first among those of its kind and keep the old one after it until the tokens
 * it signed have expired.
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

/** The public members of a private JWK, and how it is used. */
function publicJwk(jwk: PrivateJwk): JWK {
  const alg = algOf(jwk);
  const members = jwk.kty === "EC" ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, n: jwk.n, e: jwk.e };
  return { ...members, kid: jwk.kid, alg, use: "sig" };
}

async function currentKey(privateJwks: PrivateJwk[], alg: SigningAlg): Promise<SigningKey> {
  const jwk = privateJwks.find((candidate) => algOf(candidate) === alg)!;
  return { kid: jwk.kid, key: (await importJWK({ ...jwk, alg }, alg)) as CryptoKey };
}

async function load(secret: string): Promise<SigningKeys> {
  const result = v.safeParse(SigningKeysSecret, secret);
  if (!result.success) {
    // Which key and member, never a value: the secret must not reach a log.
    const [issue] = result.issues;
    const path = issue.path?.map((item) => String(item.key)).join(".");
    throw new Error(`SIGNING_KEYS: ${path ? `key ${path}: ` : ""}${issue.message}`);
  }
  const privateJwks = result.output;
  const current = Object.fromEntries(
    await Promise.all(idTokenAlgs.map(async (alg) => [alg, await currentKey(privateJwks, alg)] as const)),
  ) as Record<SigningAlg, SigningKey>;
  const jwks: JSONWebKeySet = { keys: privateJwks.map(publicJwk) };
  const refreshKeys = new Map(await Promise.all(privateJwks.map(async (jwk) => [jwk.kid, await derivedHmacKey(jwk.d, "refresh tokens")] as const)));
  const loginBucketKey = await derivedHmacKey(secret, "unknown-login buckets");
  return {
    current,
    jwks,
    verificationKey: createLocalJWKSet(jwks),
    verified: new Map(),
    refreshKeys,
    loginBucketKey,
  };
}
