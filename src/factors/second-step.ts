import { and, eq, isNull } from "drizzle-orm";
import * as v from "valibot";
import { findUserById } from "../accounts/queries";
import { recordAttempt } from "../audit/attempts";
import { accountLocked, countWrongSecondFactor, lockedForSeconds } from "../credentials/lockout";
import { lookupKeyOf } from "../crypto/lookup-key";
import type { Write } from "../db/batch";
import { secondFactors, type FactorType, type Tenant, type User } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import type { SecondFactorUsed } from "./amr";
import { countWrongAnswer, readChallenge, spendChallenge, useEmailCode, type Challenge, type PendingStep } from "./challenges";
import { enrolledFactors } from "./enrolled";
import { useRecoveryCode } from "./recovery-codes";
import { challengeOf, consumeWebauthnChallenge, verifyPasskeyAssertion } from "./passkeys";
import { useTotpCode } from "./totp";
import { AuthenticationResponse } from "./webauthn-json";

/**
 * The second step's answer (rule M), checked in one place for every purpose: a sign-in's, a change of the
 * person's factors, a password reset. The answer is a 6-digit code (the authenticator app's, or the one
 * mailed for this challenge), a recovery code, or a passkey's assertion.
 */

export const SecondFactorAnswer = {
  mfaToken: v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.description("The `mfaToken` of the `mfa_required` answer")),
  code: v.optional(v.pipe(v.string(), v.regex(/^\d{6}$/, "Six digits"), v.description("The authenticator app's code, or the one mailed for this sign-in"))),
  recoveryCode: v.optional(v.pipe(v.string(), v.maxLength(32), v.description("One of the person's recovery codes (each works once)"))),
  webauthnResponse: v.optional(
    v.pipe(AuthenticationResponse, v.description("A passkey's assertion for the options of POST …/sign-in/mfa/passkey (or of a change's step)")),
  ),
};

export type Answer = { mfaToken: string; code?: string; recoveryCode?: string; webauthnResponse?: v.InferOutput<typeof AuthenticationResponse> };

/** Exactly one answer: a code, a recovery code or a passkey's assertion. */
export const oneAnswer = (answer: { code?: unknown; recoveryCode?: unknown; webauthnResponse?: unknown }) =>
  [answer.code, answer.recoveryCode, answer.webauthnResponse].filter((given) => given !== undefined).length === 1;

const invalidStep = () =>
  new AppError("invalid_credentials", { detail: "This second step is not valid, has expired or was already used: sign in again" });
const wrongAnswer = () => new AppError("invalid_credentials", { detail: "The code is not correct" });

/** The keyed hash an e-mail code of a challenge is kept as: the challenge's own, so it answers no other. */
export const emailCodeHash = (key: CryptoKey, challenge: Challenge, code: string) =>
  lookupKeyOf(key, challenge.tenantId, "email-code", `${challenge.tokenHash}:${code}`);

/** Which factor the answer proves, spending it (a code's step, a mailed code, a recovery code); undefined when none. */
async function provenFactor(scope: Scope, tenant: Tenant, challenge: Challenge, userId: string, answer: Answer, enrolled: readonly FactorType[]): Promise<SecondFactorUsed | undefined> {
  const { db, config } = scope;
  if (answer.code !== undefined) {
    // The app's code: of the enrolled factor, or the first code of one being set up during this sign-in.
    if (tenant.mfa.factors.includes("totp") && (await useTotpCode(db, await config.secretBoxKey(), userId, answer.code, enrolled.includes("totp")))) return "totp";
    if (challenge.emailCodeHash && (await useEmailCode(db, challenge, await emailCodeHash(await config.lookupKey(), challenge, answer.code)))) {
      // The mailed code also confirms an e-mail factor being set up during this sign-in.
      await db.update(secondFactors).set({ confirmedAt: new Date() }).where(and(eq(secondFactors.userId, userId), eq(secondFactors.type, "email"), isNull(secondFactors.confirmedAt)));
      return "email";
    }
  }
  if (answer.recoveryCode !== undefined && enrolled.length > 0 && (await useRecoveryCode(db, await config.lookupKey(), tenant.id, userId, answer.recoveryCode))) return "recovery";
  if (answer.webauthnResponse !== undefined && enrolled.includes("passkey")) {
    // The assertion answers options this person asked for (passkey-options), spent once, then verified.
    const challenge = challengeOf(answer.webauthnResponse);
    const expected = { challenge: challenge ?? "", userId, userVerification: "preferred" as const };
    if (challenge && (await consumeWebauthnChallenge(db, tenant.id, challenge, "authenticate", userId)) && (await verifyPasskeyAssertion(db, config, tenant, answer.webauthnResponse, expected))) {
      return "passkey";
    }
  }
  return undefined;
}

export interface PassedStep {
  challenge: Challenge;
  user: User;
  factor: SecondFactorUsed;
  /** The person had no factor before this step: it set up their first (recovery codes are due). */
  firstFactor: boolean;
}

/**
 * Checks an answer to the challenge `answer.mfaToken` names, of this tenant, live, for a step `expected`
 * accepts: a wrong answer is counted on the challenge and on the account's lockout, recorded, and answered
 * `401 invalid_credentials` (or `429 account_locked`); a right one spends the challenge (once).
 * `attemptOf` makes the record of a wrong answer (the step's method; the factor tried).
 */
export async function passSecondStep(
  scope: Scope,
  tenant: Tenant,
  answer: Answer,
  expected: (step: PendingStep) => boolean,
  attemptOf: (challenge: Challenge, user: User, code: string, factor: string | null) => Write,
): Promise<PassedStep> {
  const { db } = scope;
  const now = new Date();
  const challenge = await readChallenge(db, tenant, answer.mfaToken, now);
  if (!challenge || !expected(challenge.step)) throw invalidStep();
  const user = await findUserById(db, tenant.id, challenge.userId);
  if (!user) throw invalidStep();
  const lockedFor = lockedForSeconds(user, now);
  if (lockedFor > 0) throw accountLocked(lockedFor);

  const enrolled = await enrolledFactors(db, tenant, user.id);
  const factor = await provenFactor(scope, tenant, challenge, user.id, answer, enrolled);
  if (!factor) {
    const tried =
      answer.recoveryCode !== undefined ? "recovery" : answer.webauthnResponse !== undefined ? "passkey" : answer.code !== undefined ? (challenge.emailCodeHash ? "email" : "totp") : null;
    const [, [counted]] = await db.batch([countWrongAnswer(db, tenant, challenge, now), countWrongSecondFactor(db, tenant, user.id, now), attemptOf(challenge, user, "invalid_credentials", tried)]);
    const locked = lockedForSeconds(counted, now);
    throw locked > 0 ? accountLocked(locked) : wrongAnswer();
  }
  if (!(await spendChallenge(db, challenge, now))) throw invalidStep();
  return { challenge, user, factor, firstFactor: enrolled.length === 0 };
}

/** The attempt of a sign-in's second step: its method, the person, the factor used or refused. */
export function secondStepAttempt(scope: Scope, challenge: Challenge, user: User, code: string | null, factor: string | null): Write {
  const step = challenge.step;
  return recordAttempt(
    scope.db,
    {
      tenantId: challenge.tenantId,
      at: new Date(),
      login: user.username,
      userId: user.id,
      code,
      method: step.purpose === "sign-in" ? step.method : step.purpose,
      clientId: step.purpose === "sign-in" ? step.clientId : null,
      factor,
    },
    scope.meta,
  );
}

