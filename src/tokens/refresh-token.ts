import { ACCESS_TOKEN_ALG, type SigningKeys } from "./keys";

/**
 * Refresh tokens that name their session and generation, and prove that this issuer minted them:
 *
 *   base64url( version | session id (16 bytes) | generation (4 bytes) | kid length | kid | HMAC-SHA-256 )
 *
 * The HMAC, by a key derived from one of the region's signing keys (keys.ts), covers the tenant, the
 * session and the generation. So a session stores no token, only the generation it is at (issue 12: one
 * row a session however often it refreshes), yet an old generation presented again is recognised as one
 * this issuer gave out (reuse, RFC 9700 §4.14.2), and a made-up one, even with a real session id, which
 * every access token carries, is merely invalid and ends nothing.
 */
const VERSION = 1;
const MAC_BYTES = 32;

export interface RefreshTokenClaims {
  sessionId: string;
  generation: number;
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

function uuidOf(bytes: Uint8Array): string {
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What the MAC covers: the body of the token and the tenant it belongs to. */
function signed(tenantId: string, body: Uint8Array): Uint8Array {
  const tenant = new TextEncoder().encode(`${tenantId}\n`);
  const message = new Uint8Array(tenant.length + body.length);
  message.set(tenant);
  message.set(body, tenant.length);
  return message;
}

const toBase64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * The token of `generation` of a session, signed with the refresh key of the current access-token key
 * (its rotation is the one that retires refresh tokens).
 */
export async function mintRefreshToken(keys: SigningKeys, tenantId: string, claims: RefreshTokenClaims): Promise<string> {
  const { kid: currentKid } = keys.current[ACCESS_TOKEN_ALG];
  const kid = new TextEncoder().encode(currentKid);
  const body = new Uint8Array(1 + 16 + 4 + 1 + kid.length);
  const view = new DataView(body.buffer);
  view.setUint8(0, VERSION);
  body.set(uuidBytes(claims.sessionId), 1);
  view.setUint32(17, claims.generation);
  view.setUint8(21, kid.length);
  body.set(kid, 22);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", keys.refreshKeys.get(currentKid)!, signed(tenantId, body)));
  const token = new Uint8Array(body.length + MAC_BYTES);
  token.set(body);
  token.set(mac, body.length);
  return toBase64url(token);
}

/** The token's bytes, split: its body (what the MAC covers), the key's id, and the MAC; undefined if malformed. */
function parse(token: string) {
  const bytes = fromBase64url(token);
  if (!bytes || bytes.length < 22 + MAC_BYTES || bytes[0] !== VERSION) return undefined;
  const bodyLength = 22 + bytes[21]!;
  if (bytes.length !== bodyLength + MAC_BYTES) return undefined;
  const body = bytes.subarray(0, bodyLength);
  return {
    body,
    kid: new TextDecoder().decode(body.subarray(22)),
    mac: bytes.subarray(bodyLength),
    claims: { sessionId: uuidOf(body.subarray(1, 17)), generation: new DataView(body.buffer, body.byteOffset).getUint32(17) },
  };
}

/**
 * What a token says, NOT checked: for finding the session before its tenant (which the MAC covers) is
 * known. Nothing may be granted on it before `readRefreshToken` has checked the token.
 */
export function peekRefreshToken(token: string): RefreshTokenClaims | undefined {
  return parse(token)?.claims;
}

/**
 * The session and generation a token names, if this issuer minted it for this tenant (the MAC checked
 * in constant time by WebCrypto's verify); undefined for anything else, malformed or forged.
 */
export async function readRefreshToken(keys: SigningKeys, tenantId: string, token: string): Promise<RefreshTokenClaims | undefined> {
  const parsed = parse(token);
  const key = parsed && keys.refreshKeys.get(parsed.kid);
  if (!parsed || !key) return undefined;
  const genuine = await crypto.subtle.verify("HMAC", key, parsed.mac, signed(tenantId, parsed.body));
  return genuine ? parsed.claims : undefined;
}
