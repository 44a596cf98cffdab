import type { JWTPayload } from "jose";
import * as v from "valibot";
import { Email } from "../accounts/fields";

/**
 * Typed readers of a provider's ID-token claims. A signature proves who wrote a token, not that its claims
 * have the shape we key identities on: a claim that identifies the person and is malformed throws
 * `InvalidClaim`, which the caller answers as a refused token (never a 500, never a stored object).
 */
export class InvalidClaim extends Error {
  override name = "InvalidClaim";
}

/** OpenID Connect Core §2: `sub` is at most 255 ASCII characters. */
const MAX_SUBJECT = 255;

/** How long a name from a provider may be: what registration accepts (accounts/fields.ts). */
const MAX_NAME = 100;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A verified ID token's claims: jose has checked that `exp` and `iat` are numbers, `subject()` that `sub` is a string. */
export type IdTokenClaims = JWTPayload & { sub: string; exp: number; iat: number };

/** `sub`: a non-empty string of at most 255 characters. */
export function subject(claims: JWTPayload): string {
  const { sub } = claims;
  if (typeof sub !== "string" || sub.trim() === "" || sub.length > MAX_SUBJECT) {
    throw new InvalidClaim(`sub is not a string of 1 to ${MAX_SUBJECT} characters: ${JSON.stringify(sub)?.slice(0, 80)}`);
  }
  return sub;
}

/** A GUID claim (Microsoft's `tid`, `oid`), in lower case: two spellings of one GUID are one key. */
export function guid(claims: JWTPayload, name: string): string {
  const value = claims[name];
  if (typeof value !== "string" || !GUID.test(value)) {
    throw new InvalidClaim(`${name} is not a GUID: ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  return value.toLowerCase();
}

/** An optional string claim, trimmed; anything else is no value. */
export function text(claims: JWTPayload, name: string): string | null {
  const value = claims[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** A first or last name, cut to the length registration accepts. */
export function personName(claims: JWTPayload, name: string): string | null {
  return text(claims, name)?.slice(0, MAX_NAME).trim() ?? null;
}

/** A boolean claim as providers write it: `true`, `"true"` or `1`. */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true" || value === 1;
}

/** A claim that is a string or a list of strings (Entra's `verified_primary_email`), as a list. */
export function textList(claims: JWTPayload, name: string): string[] {
  const value = claims[name];
  const items = Array.isArray(value) ? value : [value];
  return items.filter((item): item is string => typeof item === "string" && item.trim() !== "").map((item) => item.trim());
}

/**
 * An address a provider vouched for, held to the validation registration applies (`Email`): one that is
 * not an address (a username, a phone number) is dropped, never stored as the person's e-mail.
 */
export function validAddress(address: string | null): string | null {
  if (address === null) return null;
  const parsed = v.safeParse(Email, address);
  return parsed.success ? parsed.output : null;
}
