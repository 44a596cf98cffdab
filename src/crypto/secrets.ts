import { base64url } from "jose";

/**
 * The opaque secrets printid hands out (refresh tokens, authorization codes, states) and how they are
 * kept: generated from 256 random bits, stored only as their SHA-256. A leaf room: it imports nothing of
 * printid, and every room may use it.
 */

/**
 * `length` characters drawn uniformly from `alphabet` (up to 256 of them): bytes at or past the
 * alphabet's last whole multiple are drawn again, so that no character is likelier than another.
 */
export function randomFrom(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let drawn = "";
  while (drawn.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      if (byte < limit && drawn.length < length) drawn += alphabet[byte % alphabet.length];
    }
  }
  return drawn;
}

/** An opaque secret of 256 random bits, base64url. */
export function randomSecret(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

const digest = (value: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));

/** How opaque secrets are stored: SHA-256, base64url. A stolen table holds nothing that can be presented. */
export async function sha256(value: string): Promise<string> {
  return base64url.encode(new Uint8Array(await digest(value)));
}

/** SHA-256 in lower-case hex, the form Apple's SDK puts a nonce's hash in. */
export async function sha256Hex(value: string): Promise<string> {
  return [...new Uint8Array(await digest(value))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
