import { base64url } from "jose";

/** An opaque secret of 256 random bits, base64url: refresh tokens and authorization codes. */
export function randomSecret(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/** How opaque secrets are stored: SHA-256, base64url. A stolen table holds nothing that can be presented. */
export async function sha256(value: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value))));
}
