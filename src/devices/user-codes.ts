import { randomFrom, sha256 } from "../crypto/secrets";

/**
 * RFC 8628 §6.1: the code a person types, 8 characters from its 20 consonants: no digits and no vowels,
 * so no 0/O or 1/I look-alikes and no words; 20^8 ≈ 2^34.6 codes, against a rate-limited guesser and a
 * lifetime of minutes.
 */
const ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LENGTH = 8;

/** A new user code, as shown: XXXX-XXXX, each letter as likely as any other. */
export function newUserCode(): string {
  const code = randomFrom(ALPHABET, USER_CODE_LENGTH);
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What a person typed, as stored: case and separators dropped (RFC 8628 §6.1 asks for leniency). */
export function normalisedUserCode(typed: string): string {
  return typed.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

/** The stored form: the tenant in the hash, so that a code means nothing in another tenant, nor collides with one. */
export function userCodeHash(tenantId: string, typed: string): Promise<string> {
  return sha256(`${tenantId}:${normalisedUserCode(typed)}`);
}
