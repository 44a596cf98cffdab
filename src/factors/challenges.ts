import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { randomSecret, sha256 } from "../crypto/secrets";
import type { Database } from "../db/client";
import { deleteSome, type Pruner } from "../db/prune";
import { mfaChallenges, type FactorType, type Tenant } from "../db/schema";
import { AppError } from "../http/errors";

/**
 * The second step of a sign-in, or of a change that needs a fresh second factor (rule M): an `mfaToken`
 * names what waits (stored as its SHA-256), for ten minutes, once. A wrong answer counts on the challenge
 * and on the account's lockout; the tenant's lockout number of them ends the challenge.
 */

export const MFA_TOKEN_SECONDS = 600;

/** What waits for the second factor. */
export type PendingStep =
  /** A sign-in: what it opens once the factor is proven (a session as `startSession` opens it, or a panel's). */
  | {
      purpose: "sign-in";
      kind: "session" | "panel";
      clientId: string;
      method: string;
      scope: string;
      nonce: string | null;
      /** Epoch ms. */
      authTime: number;
      sessionId: string | null;
      amr: string[];
      /** A panel session's seconds. */
      seconds: number | null;
    }
  /** A change of the person's own factors, from their session. */
  | { purpose: "step-up"; sessionId: string }
  /** A password reset by mailed link: the link's token hash. */
  | { purpose: "password-reset"; tokenHash: string };

export type Challenge = typeof mfaChallenges.$inferSelect & { step: PendingStep };

/** Whether an error is a sign-in waiting for its second step (not a refusal: it is recorded as it waits). */
export const isSecondStep = (error: unknown): boolean => error instanceof AppError && error.code === "mfa_required";

/** `401 mfa_required`, with what the client needs for the second step. */
export function mfaRequired(mfaToken: string, factors: readonly FactorType[]): AppError {
  const enrol = factors.length === 0;
  return new AppError("mfa_required", {
    detail: enrol
      ? "A second factor is required, and none is set up yet: set one up with the mfaToken (POST …/sign-in/mfa/enrol), then confirm it"
      : "A second factor is required: answer with the mfaToken at POST …/sign-in/mfa",
    extensions: { mfaToken, factors, enrol },
  });
}

export async function openChallenge(db: Database, tenant: Tenant, userId: string, step: PendingStep, now = new Date()): Promise<string> {
  const token = randomSecret();
  await db.insert(mfaChallenges).values({
    tokenHash: await sha256(token),
    tenantId: tenant.id,
    userId,
    grant: step,
    createdAt: now,
    expiresAt: new Date(now.getTime() + MFA_TOKEN_SECONDS * 1000),
  });
  return token;
}

/** The live challenge an mfaToken names in this tenant: not used, not expired. */
export async function readChallenge(db: Database, tenant: Tenant, token: string, now = new Date()): Promise<Challenge | undefined> {
  const row = await db
    .select()
    .from(mfaChallenges)
    .where(
      and(
        eq(mfaChallenges.tokenHash, await sha256(token)),
        eq(mfaChallenges.tenantId, tenant.id),
        isNull(mfaChallenges.usedAt),
        gt(mfaChallenges.expiresAt, now),
      ),
    )
    .get();
  return row && { ...row, step: row.grant as PendingStep };
}

/** Spends the challenge (one conditional UPDATE: of two answers at once, one wins). */
export async function spendChallenge(db: Database, challenge: Challenge, now = new Date()): Promise<boolean> {
  const spent = await db
    .update(mfaChallenges)
    .set({ usedAt: now })
    .where(and(eq(mfaChallenges.tokenHash, challenge.tokenHash), isNull(mfaChallenges.usedAt)))
    .returning({ tokenHash: mfaChallenges.tokenHash });
  return spent.length > 0;
}

/** A wrong answer, counted on the challenge: the tenant's lockout number of them ends it. */
export function countWrongAnswer(db: Database, tenant: Tenant, challenge: Challenge, now = new Date()) {
  const failures = sql`${mfaChallenges.failures} + 1`;
  return db
    .update(mfaChallenges)
    .set({ failures, usedAt: sql`(CASE WHEN ${failures} >= ${tenant.lockoutMaxAttempts} THEN ${now.getTime()} ELSE ${mfaChallenges.usedAt} END)` })
    .where(eq(mfaChallenges.tokenHash, challenge.tokenHash));
}

/** An e-mail code sent for this challenge: its keyed hash, valid until `expiresAt`, replacing an earlier one. */
export function keepEmailCode(db: Database, challenge: Challenge, codeHash: string, expiresAt: Date) {
  return db.update(mfaChallenges).set({ emailCodeHash: codeHash, emailCodeExpiresAt: expiresAt }).where(eq(mfaChallenges.tokenHash, challenge.tokenHash));
}

/** Spends the challenge's e-mail code if `codeHash` is it and it is still valid (one conditional UPDATE). */
export async function useEmailCode(db: Database, challenge: Challenge, codeHash: string, now = new Date()): Promise<boolean> {
  const used = await db
    .update(mfaChallenges)
    .set({ emailCodeHash: null, emailCodeExpiresAt: null })
    .where(and(eq(mfaChallenges.tokenHash, challenge.tokenHash), eq(mfaChallenges.emailCodeHash, codeHash), gt(mfaChallenges.emailCodeExpiresAt, now)))
    .returning({ tokenHash: mfaChallenges.tokenHash });
  return used.length > 0;
}

export const pruneMfaChallenges: Pruner = (db, now, limit) => [deleteSome(db, mfaChallenges, lt(mfaChallenges.expiresAt, now), limit)];
