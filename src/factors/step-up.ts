import * as v from "valibot";
import type { Tenant } from "../db/schema";
import type { Principal, Scope } from "../http/context";
import { mfaRequired, openChallenge } from "./challenges";
import { enrolledFactors } from "./enrolled";
import { passSecondStep, secondStepAttempt, SecondFactorAnswer, type Answer } from "./second-step";

/**
 * A fresh second factor for a change of the person's own factors (rule M): a person who has a factor
 * proves one now, whatever their session holds, so that a stolen session cannot swap the factors. The
 * first call without an answer gets `401 mfa_required` with an mfaToken bound to this session; the same
 * request again with the token and a code (or a recovery code) goes through.
 */

export const StepUpFields = {
  mfaToken: v.optional(SecondFactorAnswer.mfaToken),
  code: SecondFactorAnswer.code,
  recoveryCode: SecondFactorAnswer.recoveryCode,
};

export async function requireFreshSecondFactor(scope: Scope, tenant: Tenant, principal: Principal, answer: Partial<Answer>): Promise<void> {
  const { db } = scope;
  const enrolled = await enrolledFactors(db, tenant, principal.user.id);
  if (enrolled.length === 0) return;
  if (!answer.mfaToken) throw mfaRequired(await openChallenge(db, tenant, principal.user.id, { purpose: "step-up", sessionId: principal.sessionId }), enrolled);
  await passSecondStep(
    scope,
    tenant,
    { ...answer, mfaToken: answer.mfaToken },
    (step) => step.purpose === "step-up" && step.sessionId === principal.sessionId,
    secondStepAttempt.bind(null, scope),
  );
}
