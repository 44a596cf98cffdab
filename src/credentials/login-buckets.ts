/**
 * Which of its tenant's buckets a login that names no account counts its failures in (lockout.ts).
 * 65,536 buckets a tenant: two unknown logins share one rarely enough that neither locks noticeably
 * early, and the table cannot outgrow `tenants × 65,536` rows however many logins are sprayed.
 *
 * The bucket is a keyed hash: were it a plain one, an attacker could pick a second login that shares a
 * bucket with a victim's, fill it, and learn from the victim's answer whether that login exists. The key
 * is derived from the region's signing-key secret (HKDF), so there is no further secret to deploy; a key
 * rotation merely starts the counts of unknown logins afresh.
 */
export const BUCKETS = 65_536;

const keys = new Map<string, Promise<CryptoKey>>();

function bucketKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    const encoder = new TextEncoder();
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode("printid"), info: encoder.encode("unknown-login buckets") },
          material,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign"],
        ),
      );
    keys.set(secret, key);
  }
  return key;
}

export async function bucketOf(secret: string, tenantId: string, login: string): Promise<number> {
  const mac = await crypto.subtle.sign("HMAC", await bucketKey(secret), new TextEncoder().encode(`${tenantId}\n${login.toLowerCase()}`));
  const bytes = new Uint8Array(mac);
  return ((bytes[0]! << 8) | bytes[1]!) % BUCKETS;
}
