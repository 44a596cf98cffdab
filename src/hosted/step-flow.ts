import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Tenant } from "../db/schema";
import type { PendingStep } from "../factors/challenges";
import type { FinishedStep } from "../factors/finish-sign-in";
import { enrolFirstFactor, mailStepCode } from "../factors/mfa-routes";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import type { Locale } from "./i18n";
import type { PageError, SecondStepState } from "./pages";
import { afterRefusal, finishStepOnPage, pendingStepOf, refusalOfAnswer, STEP_FIELDS, stepAnswerOf, waysToAnswer, type PendingStepView } from "./pending-step";

/**
 * A sign-in's second step on pages (rule M), for the hosted sign-in and the console alike: each post (an
 * answer, a passkey's included, "Send me a code by e-mail", a first factor chosen) finds the step its form
 * names, does its part through the API's own functions (finishSignIn, mailStepCode, enrolFirstFactor),
 * and says what comes next; `StepPages` says how each page looks and where a finished sign-in goes.
 */

/** A first factor being set up within the sign-in, carried by the step's forms so that a wrong code keeps the way. */
export type SettingUp = "totp" | "email";
export const SETTING_UP = "setting_up";

export interface StepView {
  state: SecondStepState;
  settingUp?: SettingUp;
  error?: PageError;
  status?: ContentfulStatusCode;
}

export interface StepPages {
  /** The step's page. */
  page(step: PendingStepView, view: StepView): Response | Promise<Response>;
  /** Back to the sign-in: the step is gone or ended (`invalid_credentials`), or the person refused (`account_locked`…). */
  signInAgain(error: AppError): Response | Promise<Response>;
  /** The sign-in is finished: the page keeps the session, and goes on. */
  signedIn(step: PendingStepView, finished: FinishedStep & { refreshToken: string }): Response | Promise<Response>;
}

/** A step's form as a flow reads it. */
export interface StepForm {
  field(name: string): string | undefined;
  /** The steps this page finishes (signInOf its client). */
  expected: (step: PendingStep) => boolean;
  locale: Locale;
}

const stepGone = () => new AppError("invalid_credentials", { detail: "The second step is gone: sign in again" });

/** What the step shows unless told: its answer for a person with factors, else the way being set up, else the choice. */
export function stepStateOf(step: PendingStepView, settingUp?: SettingUp): SecondStepState {
  if (step.factors.length > 0) return { kind: "answer", ...waysToAnswer(step.factors) };
  if (settingUp) return { kind: "answer", code: true, email: settingUp === "email", recovery: false };
  return { kind: "choose", setUp: step.setUp };
}

function settingUpOf(form: StepForm): SettingUp | undefined {
  const value = form.field(SETTING_UP);
  return value === "totp" || value === "email" ? value : undefined;
}

/** A sign-in that met `mfa_required` (its token): the step's page instead of a refusal. */
export async function showStep(scope: Scope, tenant: Tenant, mfaToken: string, expected: StepForm["expected"], pages: StepPages): Promise<Response> {
  const step = await pendingStepOf(scope, tenant, mfaToken, expected);
  return step ? pages.page(step, { state: stepStateOf(step), status: 401 }) : pages.signInAgain(stepGone());
}

async function withStep(scope: Scope, tenant: Tenant, form: StepForm, pages: StepPages, next: (step: PendingStepView, settingUp?: SettingUp) => Promise<Response>) {
  const step = await pendingStepOf(scope, tenant, form.field(STEP_FIELDS.mfaToken), form.expected);
  return step ? next(step, settingUpOf(form)) : pages.signInAgain(stepGone());
}

/**
 * The answer: right, the sign-in is finished (and the device remembered when asked); wrong, the page
 * again saying so while the step lasts (a refused recovery code with its form open), then the sign-in.
 */
export function answerStep(scope: Scope, tenant: Tenant, form: StepForm, pages: StepPages): Promise<Response> {
  return withStep(scope, tenant, form, pages, async (step, settingUp) => {
    const again = (shown: PendingStepView, error: PageError, status: ContentfulStatusCode) => {
      const state = stepStateOf(shown, settingUp);
      const recoveryOpen = form.field(STEP_FIELDS.recoveryCode) !== undefined;
      return pages.page(shown, { settingUp, status, error, state: state.kind === "answer" ? { ...state, recoveryOpen } : state });
    };
    const read = stepAnswerOf(form.field);
    if ("fieldErrors" in read) return again(step, { code: "validation_failed", fieldErrors: read.fieldErrors }, 400);
    let finished;
    try {
      finished = await finishStepOnPage(scope, tenant, read.answer, form.field(STEP_FIELDS.remember) === "on");
    } catch (error) {
      const after = await afterRefusal(scope, tenant, step.mfaToken, form.expected, error);
      if ("again" in after) return again(after.again, { code: refusalOfAnswer(read.answer) }, 401);
      return pages.signInAgain(after.ended);
    }
    return pages.signedIn(step, finished);
  });
}

/** A refusal of a mail or a set-up (no e-mail factor, a tenant's policy changed, mail not sent): the page says why. */
function refusedOnPage(step: PendingStepView, settingUp: SettingUp | undefined, pages: StepPages, error: unknown) {
  if (!(error instanceof AppError)) throw error;
  return pages.page(step, { state: stepStateOf(step, settingUp), settingUp, status: error.status, error: { code: error.code, detail: error.options.detail } });
}

/** "Send me a code by e-mail": mailed, the page says so. */
export function mailCodeForStep(scope: Scope, tenant: Tenant, form: StepForm, pages: StepPages): Promise<Response> {
  return withStep(scope, tenant, form, pages, async (step, settingUp) => {
    try {
      await mailStepCode(scope, tenant, step.mfaToken, form.locale);
    } catch (error) {
      return refusedOnPage(step, settingUp, pages, error);
    }
    const state = stepStateOf(step, settingUp);
    return pages.page(step, { settingUp, state: state.kind === "answer" ? { ...state, mailed: true } : state });
  });
}

/**
 * A person who must set up a factor first chose one (`type`): an app (its QR code and key, then its first
 * code) or e-mail codes (one is mailed at once). Without a type ("Start again"): the choice.
 */
export function setUpFirstFactor(scope: Scope, tenant: Tenant, form: StepForm, pages: StepPages): Promise<Response> {
  return withStep(scope, tenant, form, pages, async (step) => {
    const type = form.field("type");
    if (type !== "totp" && type !== "email") return pages.page(step, { state: stepStateOf(step) });
    try {
      const enrolment = await enrolFirstFactor(scope, tenant, step.mfaToken, type, form.locale);
      const state: SecondStepState = enrolment ? { kind: "totp", ...enrolment } : { kind: "answer", code: true, email: true, recovery: false, mailed: true };
      return pages.page(step, { settingUp: type, state });
    } catch (error) {
      return refusedOnPage(step, undefined, pages, error);
    }
  });
}
