import { eq } from "drizzle-orm";
import * as v from "valibot";
import { sessions, type Tenant } from "../db/schema";
import type { Principal, Scope } from "../http/context";
import { AppError } from "../http/errors";
import { amrOfMethod, withSecondFactor, type SecondFactorUsed } from "./amr";
import { mfaRequired, openChallenge, type PendingStep } from "./challenges";
import { enrolledFactors } from "./enrolled";
import { factorsOwed } from "./gate";
import { passSecondStep, secondStepAttempt, SecondFactorAnswer, type Answer } from "./second-step";

/**
 * A fresh second factor for a sensitive change (rule M): a person who has a factor proves one now,
 * whatever their session holds, so that a stolen session or a mailed link alone cannot swap the factors,
 * reset the password or approve a device. The first call without an answer gets `401 mfa_required` with
 * an mfaToken bound to what is being done; the same request again with the token and a code (or a
 * recovery code) goes through.
 */

export const StepUpFields = {
  mfaToken: v.optional(SecondFactorAnswer.mfaToken),
  code: SecondFactorAnswer.code,
  recoveryCode: SecondFactorAnswer.recoveryCode,
  webauthnResponse: SecondFactorAnswer.webauthnResponse,
};

/** What a fresh factor is asked for: anything but a sign-in's second step. */
type Purpose = Exclude<PendingStep, { purpose: "sign-in" }>;

/**
 * Asks the person `userId` for a fresh second factor for `purpose`, when they have one and the tenant
 * uses them: the factor used, or undefined when there was none to ask.
 */
export async function requireSecondFactorFor(scope: Scope, tenant: Tenant, userId: string, purpose: Purpose, answer: Partial<Answer>): Promise<SecondFactorUsed | undefined> {
  const { db } = scope;
  if (tenant.mfa.mode === "off") return undefined;
  const enrolled = await enrolledFactors(db, tenant, userId);
  if (enrolled.length === 0) return undefined;
  if (!answer.mfaToken) throw mfaRequired(await openChallenge(db, tenant, userId, purpose), enrolled);
  const bound = JSON.stringify(purpose);
  const passed = await passSecondStep(scope, tenant, { ...answer, mfaToken: answer.mfaToken }, (step) => JSON.stringify(step) === bound, secondStepAttempt.bind(null, scope));
  return passed.factor;
}

/** A change of the person's own factors, from their session. */
export function requireFreshSecondFactor(scope: Scope, tenant: Tenant, principal: Principal, answer: Partial<Answer>) {
  return requireSecondFactorFor(scope, tenant, principal.user.id, { purpose: "step-up", sessionId: principal.sessionId }, answer);
}

/**
 * How the person approving something for another device (a device code, rule D) has authenticated, with
 * a second factor when they owe one: their session's `amr` when it passed the second step (or the tenant
 * asks none of them), else a fresh factor proven now. The approved device's session carries it.
 */
export async function approverAmr(scope: Scope, tenant: Tenant, principal: Principal, answer: Partial<Answer>): Promise<string[]> {
  const { db } = scope;
  const session = await db.select({ amr: sessions.amr, method: sessions.method }).from(sessions).where(eq(sessions.id, principal.sessionId)).get();
  const amr = session?.amr ?? amrOfMethod(session?.method ?? "password");
  const enrolled = await factorsOwed(scope, tenant, principal.user, amr);
  if (!enrolled) return amr;
  if (enrolled.length === 0) throw new AppError("forbidden", { detail: "This tenant asks you for a second factor: set one up before approving a device" });
  const factor = await requireFreshSecondFactor(scope, tenant, principal, answer);
  return factor ? withSecondFactor(amr, factor) : amr;
}
