import { base64url } from "jose";

/**
 * Secrets printid must read back, not only compare (a TOTP factor's key): AES-256-GCM under a key derived
 * (HKDF-SHA-256, its own purpose) from the region's `CREDENTIAL_LOOKUP_KEY` Worker secret, with a random
 * 96-bit IV per secret and the owner's id as additional data, so a sealed secret copied to another row
 * does not open. A copy of the database alone reveals none of them.
 */

const derived = new Map<string, Promise<CryptoKey>>();

export function secretBoxKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret || secret.length < 32) return Promise.reject(new Error("The CREDENTIAL_LOOKUP_KEY secret is not set (32 characters or more)"));
  let key = derived.get(secret);
  if (!key) {
    const encoder = new TextEncoder();
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode("printid"), info: encoder.encode("sealed factor secrets") },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    derived.set(secret, key);
  }
  return key;
}

/** `plaintext` sealed for `owner`: base64url of the IV and the ciphertext with its tag. */
export async function seal(key: CryptoKey, owner: string, plaintext: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(owner) }, key, plaintext));
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return base64url.encode(out);
}

/** The plaintext of a sealed secret of `owner`; throws when it was not sealed for them with this key. */
export async function open(key: CryptoKey, owner: string, sealed: string): Promise<Uint8Array> {
  const bytes = base64url.decode(sealed);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: new TextEncoder().encode(owner) },
    key,
    bytes.slice(12),
  );
  return new Uint8Array(plain);
}
