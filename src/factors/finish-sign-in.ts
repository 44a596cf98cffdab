import type { Tenant, User } from "../db/schema";
import type { Scope } from "../http/context";
import { startPanelSession, startSession, type PanelTokenResponse, type SessionGrant, type TokenResponse } from "../tokens/issue";
import { withSecondFactor } from "./amr";
import type { PendingStep } from "./challenges";
import { replaceRecoveryCodes } from "./recovery-codes";
import { rememberDevice } from "./remembered";
import { passSecondStep, secondStepAttempt, type Answer } from "./second-step";

/** A sign-in finished by its second step: what it opened, and what comes with the step. */
export interface FinishedStep {
  tokens: TokenResponse | PanelTokenResponse;
  user: User;
  /** The session's `amr`, with the second factor. */
  amr: string[];
  /** When the person asked to be remembered here (and the tenant remembers devices). */
  rememberToken?: string;
  /** When this step set up the person's first factor: their recovery codes, shown this once. */
  recoveryCodes?: string[];
}

/**
 * The second step of a sign-in, for the API and the hosted pages alike: the answer checked (second-step.ts),
 * then what the first step would have opened, opened with the second factor in its `amr`.
 */
export async function finishSignIn(scope: Scope, tenant: Tenant, answer: Answer & { rememberDevice?: boolean }): Promise<FinishedStep> {
  const attemptOf = secondStepAttempt.bind(null, scope);
  const passed = await passSecondStep(scope, tenant, answer, (step) => step.purpose === "sign-in", attemptOf);
  const step = passed.challenge.step as Extract<PendingStep, { purpose: "sign-in" }>;
  const amr = withSecondFactor(step.amr, passed.factor);
  const grant: SessionGrant = {
    tenant,
    user: passed.user,
    clientId: step.clientId,
    method: step.method,
    scope: step.scope,
    nonce: step.nonce,
    authTime: new Date(step.authTime),
    sessionId: step.sessionId ?? undefined,
    amr,
    attempt: (code) => attemptOf(passed.challenge, passed.user, code, passed.factor),
  };
  const tokens = step.kind === "panel" ? await startPanelSession(scope, grant, step.seconds ?? 60, []) : await startSession(scope, grant);
  const [rememberToken, recoveryCodes] = await Promise.all([
    answer.rememberDevice ? rememberDevice(scope.db, tenant, passed.user.id) : undefined,
    passed.firstFactor ? replaceRecoveryCodes(scope.db, await scope.config.lookupKey(), tenant.id, passed.user.id) : undefined,
  ]);
  return { tokens, user: passed.user, amr, rememberToken, recoveryCodes };
}
