/**
 * An HMAC-SHA-256 key derived (HKDF-SHA-256, salt "printid") from secret material and a purpose, so that
 * one deployed secret gives each use its own independent key: a key for one purpose says nothing of the
 * others. Used for the unknown-login buckets and for refresh tokens.
 */
export async function derivedHmacKey(material: string, purpose: string): Promise<CryptoKey> {
  const encoder = new TextEncoder();
  const base = await crypto.subtle.importKey("raw", encoder.encode(material), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode("printid"), info: encoder.encode(purpose) },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}
