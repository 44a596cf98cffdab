import { findUserById } from "../accounts/queries";
import type { FactorType, Tenant, User } from "../db/schema";
import { readChallenge, type PendingStep } from "../factors/challenges";
import { enrolledFactors } from "../factors/enrolled";
import { finishSignIn, type FinishedStep } from "../factors/finish-sign-in";
import type { Answer } from "../factors/second-step";
import type { Scope } from "../http/context";
import { AppError, type FieldError } from "../http/errors";
import { AuthenticationResponse } from "../factors/webauthn-json";
import { jsonOf } from "./forms";

/**
 * A second step (rule M) as the pages answer it, the hosted sign-in's, the account's and the console's
 * alike: what its mfaToken names and how the person can answer, the answer read from a form, and what
 * a refused answer leaves (the same step to try again, or none). The checks are the API's own
 * (factors/second-step.ts); this only puts them on pages.
 */

/** The form fields of an answer: the step's token, then a code, a recovery code or a passkey's assertion (its JSON). */
export const STEP_FIELDS = { mfaToken: "mfa_token", code: "code", recoveryCode: "recovery_code", webauthnResponse: "webauthn_response", remember: "remember" } as const;

/** An mfaToken is 43 characters; anything much longer names nothing. */
const MAX_TOKEN = 200;

/** A second step waiting on a page. */
export interface PendingStepView {
  mfaToken: string;
  user: User;
  /** What waits: a sign-in (how and when its first step was taken), or a change. */
  step: PendingStep;
  /** The factors the person can answer with; none: they set one up first. */
  factors: FactorType[];
  /** What they may set up first: an app where the tenant allows it, e-mail codes where it does and their address is confirmed. */
  setUp: ("totp" | "email")[];
}

/** Which steps a page finishes: the sign-ins of its own client (another client's token is nothing here). */
export const signInOf =
  (clientId: string) =>
  (step: PendingStep): boolean =>
    step.purpose === "sign-in" && step.kind === "session" && step.clientId === clientId;

/** The live step `mfaToken` names in this tenant, if `expected` accepts it. */
export async function pendingStepOf(scope: Scope, tenant: Tenant, mfaToken: string | undefined, expected: (step: PendingStep) => boolean): Promise<PendingStepView | undefined> {
  if (!mfaToken || mfaToken.length > MAX_TOKEN) return undefined;
  const challenge = await readChallenge(scope.db, tenant, mfaToken);
  if (!challenge || !expected(challenge.step)) return undefined;
  const user = await findUserById(scope.db, tenant.id, challenge.userId);
  if (!user) return undefined;
  const factors = await enrolledFactors(scope.db, tenant, user.id);
  const allowed = tenant.mfa.factors;
  const setUp = [
    ...(allowed.includes("totp") ? (["totp"] as const) : []),
    ...(allowed.includes("email") && user.email && user.emailVerified ? (["email"] as const) : []),
  ];
  return { mfaToken, user, step: challenge.step, factors, setUp };
}

/** How a person with these factors answers: a code (an app's or a mailed one), e-mail codes, recovery codes, a passkey. */
export function waysToAnswer(factors: readonly FactorType[]): { code: boolean; email: boolean; recovery: boolean; passkey: boolean } {
  const email = factors.includes("email");
  return { code: email || factors.includes("totp"), email, recovery: factors.length > 0, passkey: factors.includes("passkey") };
}

/**
 * The answer a form carries, or what is wrong with it (said at its field). A passkey's form (posted by the
 * passkey script) carries its assertion; posted without one (no options to be had), it says to try again.
 */
export function stepAnswerOf(field: (name: string) => string | undefined): { answer: Answer } | { fieldErrors: FieldError[] } {
  const mfaToken = field(STEP_FIELDS.mfaToken) ?? "";
  const assertion = field(STEP_FIELDS.webauthnResponse);
  if (assertion !== undefined) {
    const webauthnResponse = jsonOf(assertion, AuthenticationResponse);
    if (webauthnResponse) return { answer: { mfaToken, webauthnResponse } };
    return { fieldErrors: [{ path: STEP_FIELDS.webauthnResponse, message: "The passkey gave no answer that can be used: try again." }] };
  }
  const code = field(STEP_FIELDS.code)?.replace(/\s/g, "");
  const recoveryCode = field(STEP_FIELDS.recoveryCode)?.trim();
  if (recoveryCode) {
    if (recoveryCode.length > 32) return { fieldErrors: [{ path: STEP_FIELDS.recoveryCode, message: "A recovery code has 10 letters and digits." }] };
    return { answer: { mfaToken, recoveryCode } };
  }
  if (code && /^\d{6}$/.test(code)) return { answer: { mfaToken, code } };
  const path = recoveryCode === undefined ? STEP_FIELDS.code : STEP_FIELDS.recoveryCode;
  return { fieldErrors: [{ path, message: path === STEP_FIELDS.code ? "Enter the 6 digits of the code." : "Enter one of your recovery codes." }] };
}

/** What a refused answer is called on the page: a passkey that could not be used, or a wrong code. */
export const refusalOfAnswer = (answer: Partial<Answer>) => (answer.webauthnResponse ? "passkey_refused" : "wrong_code");

/**
 * After a refused answer: the same step when it is still live (a wrong code: try again), else the
 * refusal that ended it (`invalid_credentials`: too many wrong answers, expired or used; `account_locked`
 * with its Retry-After…). Anything but a refusal is no business of this.
 */
export async function afterRefusal(
  scope: Scope,
  tenant: Tenant,
  mfaToken: string,
  expected: (step: PendingStep) => boolean,
  error: unknown,
): Promise<{ again: PendingStepView } | { ended: AppError }> {
  if (!(error instanceof AppError)) throw error;
  const again = error.code === "invalid_credentials" ? await pendingStepOf(scope, tenant, mfaToken, expected) : undefined;
  return again ? { again } : { ended: error };
}

/** A page's sign-in finished by its second step, with the session's refresh token for the browser. */
export async function finishStepOnPage(scope: Scope, tenant: Tenant, answer: Answer, rememberDevice: boolean): Promise<FinishedStep & { refreshToken: string }> {
  const finished = await finishSignIn(scope, tenant, { ...answer, rememberDevice });
  const { tokens } = finished;
  if (!("refresh_token" in tokens)) throw new Error("a page's sign-in step opened a panel's session");
  return { ...finished, refreshToken: tokens.refresh_token };
}
