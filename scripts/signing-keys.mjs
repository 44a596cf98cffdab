// Fresh private JWKs of the shape the SIGNING_KEYS secret holds (src/tokens/keys.ts): one EC P-256 key
// (ES256: access tokens, and ID tokens of clients that ask for it) and one RSA key (RS256: ID tokens by
// default), newest first. Made here for npm run dev, the tests, the bench, the fuzzer and capacity alike.
import { generateKeyPairSync } from "node:crypto";

const ec = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
const rsa = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });

/** One key of each kind, with the kids `${kid}-ec` and `${kid}-rsa`. */
export function newSigningKeys(kid) {
  return [{ ...ec(), kid: `${kid}-ec` }, { ...rsa(), kid: `${kid}-rsa` }];
}

/**
 * A SIGNING_KEYS value made before RSA keys were required (EC keys only), with a fresh RSA key added after
 * them. `undefined` when there is nothing to add: the value has an RSA key, or is no JSON array of keys
 * (the Worker then says what is wrong with it).
 */
export function withRsaKey(secret, kid) {
  let keys;
  try {
    keys = JSON.parse(secret);
  } catch {
    return undefined;
  }
  if (!Array.isArray(keys) || keys.some((key) => key?.kty === "RSA")) return undefined;
  return JSON.stringify([...keys, { ...rsa(), kid: `${kid}-rsa` }]);
}
