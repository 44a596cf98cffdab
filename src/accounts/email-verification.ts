import { and, eq, gt, inArray, isNull, lt, notExists, sql } from "drizzle-orm";
import type { Write } from "../db/batch";
import type { Database } from "../db/client";
import { deleteSome, type Pruner } from "../db/prune";
import { accountTokens, tenants, users, type Tenant, type User } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import { validationFailed } from "../http/validation";
import type { Locale } from "../hosted/i18n";
import { mailProof } from "../mail/proof";
import { findLiveToken, insertAccountToken, newToken, sentSince, spendToken, supersedeTokens, unspent, unusableLink } from "./account-tokens";
import { codeHashOf, codeMatches, MAX_CODE_TRIES, newCode } from "./email-codes";

/** How long a registration's link and code work, and how long an unconfirmed registration is kept (rule E). */
export const VERIFY_LIFETIME_MS = 48 * 3600_000;
/** A resend within this long of the last message sends nothing more (the route answers alike). */
const RESEND_PAUSE_MS = 60_000;

function codeSecret(scope: Scope): string {
  if (!scope.env.SIGNING_KEYS) throw new Error("The SIGNING_KEYS secret is not set");
  return scope.env.SIGNING_KEYS;
}

export interface VerificationProof {
  token: string;
  code: string;
  /** The rows that make it valid for the user: written with the account, or alone for a resend. */
  writes(userId: string): Write[];
}

/** A new link and code for `email`; earlier ones of the user stop working once these are written. */
export async function prepareVerification(scope: Scope, tenantId: string, email: string): Promise<VerificationProof> {
  const { db } = scope;
  const { token, tokenHash } = await newToken();
  const code = newCode();
  const codeHash = await codeHashOf(codeSecret(scope), tokenHash, code);
  return {
    token,
    code,
    writes: (userId) => [
      supersedeTokens(db, userId, "verify_email"),
      insertAccountToken(db, tokenHash, { tenantId, userId, purpose: "verify_email", email, lifetimeMs: VERIFY_LIFETIME_MS, codeHash }),
    ],
  };
}

export async function mailVerification(scope: Scope, tenant: Tenant, to: string, proof: VerificationProof, locale: Locale): Promise<void> {
  await mailProof(scope.env, scope.config, tenant, { kind: "verifyEmail", locale, to, token: proof.token, code: proof.code });
}

/**
 * Rule E at sign-in: where the tenant requires e-mail confirmation, a self-registered account whose address
 * is not proven yet gets no tokens. Accounts an admin made, and those a provider vouched for, are not held.
 */
export function requireConfirmedEmail(tenant: Tenant, user: Pick<User, "emailVerified" | "createdVia">): void {
  if (tenant.emailConfirmationRequired && user.createdVia === "registration" && !user.emailVerified) {
    throw new AppError("email_unverified", {
      detail: "Confirm your e-mail address first: follow the link or enter the code of the message we sent (POST /email/resend sends it again).",
    });
  }
}

const invalidProof = (path: "token" | "code") =>
  path === "token" ? unusableLink() : validationFailed([{ path, message: "Not the code, or expired" }], "This code cannot be used");

/** Marks the address proven, and spends the proof, in one batch: only if the account still has that address. */
async function prove(db: Database, proof: { tokenHash: string; userId: string; email: string | null }, path: "token" | "code") {
  const now = new Date();
  const results = await db.batch([
    db
      .update(users)
      .set({ emailVerified: true, updatedAt: now })
      .where(and(eq(users.id, proof.userId), eq(sql`lower(${users.email})`, (proof.email ?? "").toLowerCase()), unspent(proof.tokenHash, now))),
    spendToken(db, proof.tokenHash, now),
  ]);
  if (results[0].meta.changes !== 1) throw invalidProof(path);
}

/** POST /email/verify with the link's token. */
export async function verifyWithToken(scope: Scope, tenant: Tenant, token: string): Promise<void> {
  const proof = await findLiveToken(scope.db, tenant.id, "verify_email", token);
  if (!proof) throw invalidProof("token");
  await prove(scope.db, proof, "token");
}

/**
 * POST /email/verify with the address and the code. Each try is counted before the code is compared
 * (at most MAX_CODE_TRIES per message, tries at once included); an unknown address is answered alike.
 */
export async function verifyWithCode(scope: Scope, tenant: Tenant, email: string, code: string): Promise<void> {
  const { db } = scope;
  const now = new Date();
  const user = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, tenant.id), eq(sql`lower(${users.email})`, email.toLowerCase())))
    .get();
  if (!user) throw invalidProof("code");
  const tried = await db
    .update(accountTokens)
    .set({ codeFailures: sql`${accountTokens.codeFailures} + 1` })
    .where(
      and(
        eq(accountTokens.userId, user.id),
        eq(accountTokens.tenantId, tenant.id),
        eq(accountTokens.purpose, "verify_email"),
        isNull(accountTokens.usedAt),
        gt(accountTokens.expiresAt, now),
        lt(accountTokens.codeFailures, MAX_CODE_TRIES),
      ),
    )
    .returning({ tokenHash: accountTokens.tokenHash, codeHash: accountTokens.codeHash, userId: accountTokens.userId, email: accountTokens.email });
  for (const proof of tried) {
    if (proof.codeHash && (await codeMatches(codeSecret(scope), proof.tokenHash, code, proof.codeHash))) return prove(db, proof, "code");
  }
  throw invalidProof("code");
}

/**
 * POST /email/resend: a new link and code to an unproven address of this tenant, unless one went out in
 * the last minute. Says nothing of whether the address has an account: the route always answers 202.
 */
export async function resendVerification(scope: Scope, tenant: Tenant, email: string, locale: Locale): Promise<void> {
  const { db } = scope;
  const user = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(and(eq(users.tenantId, tenant.id), eq(sql`lower(${users.email})`, email.toLowerCase()), eq(users.emailVerified, false)))
    .get();
  if (!user?.email || (await sentSince(db, user.id, "verify_email", new Date(Date.now() - RESEND_PAUSE_MS)))) return;
  const proof = await prepareVerification(scope, tenant.id, user.email);
  const [first, ...rest] = proof.writes(user.id);
  await db.batch([first!, ...rest]);
  await mailVerification(scope, tenant, user.email, proof, locale);
}

/**
 * The clean-up's share (rule E): a self-registration whose address was never proven, in a tenant that
 * requires it, is removed once its last link has expired (48 h), freeing its address. Only accounts that
 * were sent a link: those registered before e-mail verification existed are left alone.
 */
export const pruneUnconfirmedRegistrations: Pruner = (db, now, limit) => [
  deleteSome(
    db,
    users,
    and(
      inArray(
        users.id,
        db
          .select({ userId: accountTokens.userId })
          .from(accountTokens)
          .where(and(eq(accountTokens.purpose, "verify_email"), lt(accountTokens.expiresAt, now))),
      ),
      eq(users.createdVia, "registration"),
      eq(users.emailVerified, false),
      lt(users.createdAt, new Date(now.getTime() - VERIFY_LIFETIME_MS)),
      inArray(users.tenantId, db.select({ id: tenants.id }).from(tenants).where(eq(tenants.emailConfirmationRequired, true))),
      notExists(
        db
          .select({ one: sql`1` })
          .from(accountTokens)
          // The user's id named with its table: the clean-up's query leaves its own columns unqualified.
          .where(and(eq(accountTokens.userId, sql`${users}.${sql.identifier(users.id.name)}`), eq(accountTokens.purpose, "verify_email"), gt(accountTokens.expiresAt, now))),
      ),
    ),
    limit,
  ),
];
