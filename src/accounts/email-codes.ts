import { base64url } from "jose";
import { secretsEqual } from "../crypto/constant-time";
import { derivedHmacKey } from "../crypto/derived-keys";

/**
 * The 6-digit code mailed beside a verification link, for a person who types rather than clicks. A code
 * has only a million values, so a plain hash at rest would give it away to whoever reads the table: it is
 * stored as an HMAC under a key derived from the region's SIGNING_KEYS secret (HKDF, purpose "e-mail
 * codes"), over the link token's hash and the code, so equal codes of two messages differ too. Typing
 * is bounded by account_tokens.code_failures (MAX_CODE_TRIES) and the route's rate limit. Replacing
 * SIGNING_KEYS makes outstanding codes wrong; their links still work.
 */

export const MAX_CODE_TRIES = 5;

/** Codes under 10^6 drawn without modulo bias: values past the last whole multiple are drawn again. */
const LIMIT = 2 ** 32 - (2 ** 32 % 1_000_000);

export function newCode(): string {
  for (;;) {
    const [value] = crypto.getRandomValues(new Uint32Array(1));
    if (value! < LIMIT) return String(value! % 1_000_000).padStart(6, "0");
  }
}

const keys = new Map<string, Promise<CryptoKey>>();

function codeKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = derivedHmacKey(secret, "e-mail codes")));
  return key;
}

export async function codeHashOf(secret: string, tokenHash: string, code: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await codeKey(secret), new TextEncoder().encode(`${tokenHash}:${code}`));
  return base64url.encode(new Uint8Array(mac));
}

export async function codeMatches(secret: string, tokenHash: string, code: string, codeHash: string): Promise<boolean> {
  return secretsEqual(await codeHashOf(secret, tokenHash, code), codeHash);
}
