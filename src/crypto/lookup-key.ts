import { base64url } from "jose";
import { derivedHmacKey } from "./derived-keys";

/**
 * The keyed hash that finds a PIN or an ID card (rule D): HMAC-SHA-256 of the tenant and the value, under
 * a key derived from the region's `CREDENTIAL_LOOKUP_KEY` secret. It is deterministic, so a unique index
 * finds the one person a PIN or card names and refuses a second; without the key, a stolen table cannot
 * be searched for a PIN, not even by trying all of them. The key is the region's own: a value of one
 * region is a different key in the other.
 */

/** Per secret: the key is derived once per isolate. */
const derived = new Map<string, Promise<CryptoKey>>();

export function lookupKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret || secret.length < 32) return Promise.reject(new Error("The CREDENTIAL_LOOKUP_KEY secret is not set (32 characters or more)"));
  let key = derived.get(secret);
  if (!key) {
    key = derivedHmacKey(secret, "panel credential lookup");
    derived.set(secret, key);
  }
  return key;
}

/** The keyed hash of `value` (`pin`, `card`, …: what it is, so a PIN never finds a card) in a tenant, base64url. */
export async function lookupKeyOf(key: CryptoKey, tenantId: string, kind: "pin" | "card" | "recovery" | "email-code", value: string): Promise<string> {
  const message = new TextEncoder().encode(`${kind}\u0000${tenantId}\u0000${value}`);
  return base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", key, message)));
}
