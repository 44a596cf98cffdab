import { and, eq, gt, isNull, lt, sql, type SQL } from "drizzle-orm";
import * as v from "valibot";
import type { Database } from "../db/client";
import { deleteSome, type Pruner } from "../db/prune";
import { accountTokens, type AccountTokenPurpose, type User } from "../db/schema";
import { randomSecret, sha256 } from "../crypto/secrets";
import { validationFailed } from "../http/validation";
import { findUserById } from "./queries";

/**
 * The single-use proofs printid mails (account_tokens): a link's token of 256 random bits, stored only as
 * its SHA-256, bound to a tenant, a user, a purpose and the address it went to, and expiring. A proof is
 * spent in the same D1 batch as what it opens: every effect is written on condition that the token is
 * still unspent (`unspent`), and the batch ends by spending it, so two uses at once open it once.
 */

/** A proof as a request presents it: the `token` parameter of the mailed link (256 bits, base64url). */
export const ProofToken = v.pipe(v.string(), v.minLength(1), v.maxLength(100), v.description("The `token` parameter of the mailed link"));

export interface NewAccountToken {
  tenantId: string;
  userId: string;
  purpose: AccountTokenPurpose;
  email: string | null;
  lifetimeMs: number;
  /** For e-mail verification: the keyed hash of the code mailed beside the link (email-codes.ts). */
  codeHash?: string;
}

/** A token to mail (in a link) and its hash, the only thing stored. */
export async function newToken(): Promise<{ token: string; tokenHash: string }> {
  const token = randomSecret();
  return { token, tokenHash: await sha256(token) };
}

export function insertAccountToken(db: Database, tokenHash: string, input: NewAccountToken, now = new Date()) {
  const { lifetimeMs, codeHash = null, ...token } = input;
  return db.insert(accountTokens).values({ ...token, tokenHash, codeHash, createdAt: now, expiresAt: new Date(now.getTime() + lifetimeMs) });
}

/** A new link's token for the user, written (replacing earlier ones of its purpose): the token to mail. */
export async function issueAccountToken(db: Database, input: NewAccountToken): Promise<string> {
  const { token, tokenHash } = await newToken();
  await db.batch([supersedeTokens(db, input.userId, input.purpose), insertAccountToken(db, tokenHash, input)]);
  return token;
}

/** Earlier proofs of the same purpose stop working once a new one is sent: only the latest message counts. */
export function supersedeTokens(db: Database, userId: string, purpose: AccountTokenPurpose, now = new Date()) {
  return db
    .update(accountTokens)
    .set({ usedAt: now })
    .where(and(eq(accountTokens.userId, userId), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt)));
}

const live = (now: Date) => and(isNull(accountTokens.usedAt), gt(accountTokens.expiresAt, now));

/** The unspent, unexpired proof a presented token names, of this tenant and purpose only (rule T). */
export async function findLiveToken(db: Database, tenantId: string, purpose: AccountTokenPurpose, token: string, now = new Date()) {
  return db
    .select()
    .from(accountTokens)
    .where(and(eq(accountTokens.tokenHash, await sha256(token)), eq(accountTokens.tenantId, tenantId), eq(accountTokens.purpose, purpose), live(now)))
    .get();
}

/**
 * The user a presented link names, with its proof: only while the proof is live, of this tenant and
 * purpose, and the account still has the address it was sent to (a proof holds for that address only).
 */
export async function userOfProof(db: Database, tenantId: string, purpose: AccountTokenPurpose, token: string) {
  const proof = await findLiveToken(db, tenantId, purpose, token);
  const user: User | undefined = proof && (await findUserById(db, tenantId, proof.userId));
  return proof && user && user.email?.toLowerCase() === proof.email?.toLowerCase() ? { proof, user } : undefined;
}

/** A presented link that opens nothing: said alike whether it expired, was used, or names another tenant's. */
export function unusableLink(detail = "This link cannot be used") {
  return validationFailed([{ path: "token", message: "Expired, already used, or not of this tenant" }], detail);
}

/** The condition every effect of a proof is written under: the proof is not spent yet. */
export function unspent(tokenHash: string, now = new Date()): SQL {
  return sql`EXISTS (SELECT 1 FROM ${accountTokens} WHERE ${accountTokens.tokenHash} = ${tokenHash} AND ${accountTokens.usedAt} IS NULL AND ${accountTokens.expiresAt} > ${now.getTime()})`;
}

/** Spends a proof: the last write of its batch; it changes a row only if the proof was still live. */
export function spendToken(db: Database, tokenHash: string, now = new Date()) {
  return db
    .update(accountTokens)
    .set({ usedAt: now })
    .where(and(eq(accountTokens.tokenHash, tokenHash), live(now)));
}

/** Whether the user was sent a proof of this purpose since `since`: a resend within it sends nothing more. */
export async function sentSince(db: Database, userId: string, purpose: AccountTokenPurpose, since: Date): Promise<boolean> {
  const row = await db
    .select({ tokenHash: accountTokens.tokenHash })
    .from(accountTokens)
    .where(and(eq(accountTokens.userId, userId), eq(accountTokens.purpose, purpose), gt(accountTokens.createdAt, since)))
    .get();
  return row !== undefined;
}

/**
 * Spent and expired proofs are kept this long past their expiry: the clean-up of unconfirmed registrations
 * finds them by their expired link (email-verification.ts), and an admin may ask what was sent.
 */
const EXPIRED_TOKEN_RETENTION_MS = 30 * 24 * 3600_000;

export const pruneAccountTokens: Pruner = (db, now, limit) => [
  deleteSome(db, accountTokens, lt(accountTokens.expiresAt, new Date(now.getTime() - EXPIRED_TOKEN_RETENTION_MS)), limit),
];
