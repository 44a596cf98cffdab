const encoder = new TextEncoder();

/**
 * Compares two secrets in time that depends on neither their contents nor their lengths: both sides are
 * hashed to 32 bytes first, then compared with workerd's constant-time primitive.
 */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [hashA, hashB] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(hashA, hashB);
}
