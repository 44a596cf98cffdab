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
 * them; one that has both kinds already, unchanged. `undefined` when nothing was added.
 */
export function withRsaKey(secret, kid) {
  const keys = JSON.parse(secret);
  if (keys.some((key) => key.kty === "RSA")) return undefined;
  return JSON.stringify([...keys, { ...rsa(), kid: `${kid}-rsa` }]);
}
