import { importJWK } from "jose";
import * as v from "valibot";
import type { FieldError } from "../http/errors";

/**
 * The public keys a device registers instead of receiving a secret (issue 15, `private_key_jwt`): the JWK
 * Set its admin sends, checked before it is stored, and the algorithms its client assertions may use
 * (client-assertions.ts verifies those). Only public EC P-256 and RSA keys: a symmetric key or a private
 * member would be a secret sent to, and kept by, printid, which is what `private_key_jwt` avoids.
 */

/** What a device signs its client assertions with (discovery's `token_endpoint_auth_signing_alg_values_supported`). */
export const assertionAlgs = ["ES256", "RS256"] as const;

/** RFC 7518 §3.3: an RSA key for RS256 is 2048 bits or larger. */
const MIN_RSA_BITS = 2048;
/** A device rotates by registering its next key beside the current one: a few keys are plenty. */
const MAX_KEYS = 5;
/** The private members of an EC or RSA JWK (RFC 7518 §6.2.2, §6.3.2); a symmetric key's `k` is refused with its `kty`. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth"];

const coordinate = v.pipe(v.string(), v.minLength(1), v.maxLength(2048));
const kid = v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200)));
const use = v.optional(v.literal("sig", "A device's key signs: use is sig"));

const EcPublicJwk = v.object({
  kty: v.literal("EC"),
  crv: v.literal("P-256", "Only the P-256 curve (ES256)"),
  x: coordinate,
  y: coordinate,
  kid,
  use,
  alg: v.optional(v.literal("ES256", "An EC P-256 key signs ES256")),
});

const RsaPublicJwk = v.object({
  kty: v.literal("RSA"),
  n: coordinate,
  e: coordinate,
  kid,
  use,
  alg: v.optional(v.literal("RS256", "An RSA key signs RS256")),
});

/** One registered key, as stored: its public members only (anything else the admin sent is dropped). */
const DevicePublicJwk = v.pipe(
  v.looseObject({ kty: v.string() }),
  v.check((jwk) => jwk.kty !== "oct", "A symmetric (oct) key is a shared secret: register an EC P-256 or RSA public key"),
  v.check((jwk) => !PRIVATE_MEMBERS.some((member) => member in jwk), "A private key: register its public half only"),
  v.variant("kty", [EcPublicJwk, RsaPublicJwk], "Expected an EC P-256 or RSA public key (kty EC or RSA)"),
);

/**
 * A device's JWK Set, as its registration sends it. With several keys, each names itself by a distinct
 * `kid`, which the assertion's header carries: jose will not guess between two keys that both fit.
 */
export const DeviceJwks = v.pipe(
  v.object({ keys: v.pipe(v.array(DevicePublicJwk), v.minLength(1, "At least one key"), v.maxLength(MAX_KEYS)) }),
  v.forward(
    v.check(
      ({ keys }) => keys.length === 1 || new Set(keys.map((key) => key.kid ?? "")).size === keys.length && keys.every((key) => key.kid),
      "With several keys, each needs its own kid",
    ),
    ["keys"],
  ),
  v.description(
    `A JWK Set of 1–${MAX_KEYS} public keys: EC P-256 (ES256) or RSA of ${MIN_RSA_BITS} bits or more (RS256); no private member, no symmetric key`,
  ),
);
export type DeviceJwks = v.InferOutput<typeof DeviceJwks>;

/** Why WebCrypto will not verify with a well-formed key (a point off the curve, a short modulus), or undefined. */
async function unusable(jwk: DeviceJwks["keys"][number]): Promise<string | undefined> {
  const alg = jwk.kty === "EC" ? "ES256" : "RS256";
  let key: CryptoKey;
  try {
    key = (await importJWK(jwk, alg)) as CryptoKey;
  } catch {
    return "Not a usable public key: it does not import";
  }
  // WebCrypto's RSA key algorithm (RsaHashedKeyAlgorithm) says the modulus's size.
  if (jwk.kty === "RSA" && ((key.algorithm as { modulusLength?: number }).modulusLength ?? 0) < MIN_RSA_BITS) {
    return `An RSA key needs at least ${MIN_RSA_BITS} bits`;
  }
  return undefined;
}

/**
 * The keys of a set that passed `DeviceJwks` but cannot verify an assertion, as field errors under `path`
 * (`jwks` → `jwks.keys.0`): checked at registration, so that a device is never stored with a key that
 * would refuse every one of its assertions.
 */
export async function unusableKeys(jwks: DeviceJwks, path: string): Promise<FieldError[]> {
  const faults = await Promise.all(jwks.keys.map(unusable));
  return faults.flatMap((message, index) => (message ? [{ path: `${path}.keys.${index}`, message }] : []));
}
