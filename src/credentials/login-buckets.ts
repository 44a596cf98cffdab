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

/** `key`: the signing keys' `loginBucketKey` (tokens/keys.ts). */
export async function bucketOf(key: CryptoKey, tenantId: string, login: string): Promise<number> {
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${tenantId}\n${login.toLowerCase()}`));
  const bytes = new Uint8Array(mac);
  return ((bytes[0]! << 8) | bytes[1]!) % BUCKETS;
}
