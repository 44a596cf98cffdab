/**
 * The hosted sign-in's second step (rule M): any sign-in on the hosted page (password, provider,
 * registration) that meets `mfa_required` shows this page instead of a refusal. Its forms post to
 * `/t/{tenant}/authorize/mfa…` with the step's token and the authorization request; the answer goes
 * through the API's own `finishSignIn`, and then the sign-in ends as any other: the browser keeps its
 * session, and the client gets a code carrying the session's `amr`. A person who must set up a factor
 * first does it here (an authenticator app or e-mail codes); a first factor's recovery codes are shown
 * once before the client gets its code.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { PendingStep } from "../factors/challenges";
import { enrolFirstFactor, mailStepCode } from "../factors/mfa-routes";
import { scopeOf, type AppEnv } from "../http/context";
import { AppError } from "../http/errors";
import type { AuthorizationRequest } from "./authorization-request";
import { accountOf, authorizePath, clientParameters, issueCode, localeOf, pageErrorOf, signInPage } from "./authorize";
import { HOSTED_CLIENT_ID, keepBrowserSession } from "./browser-session";
import { field, hiddenFields } from "./forms";
import { allowFormTarget } from "./headers";
import { RecoveryCodesPage, SecondStepPage, type PageError, type SecondStepState } from "./pages";
import { afterRefusal, finishStepOnPage, pendingStepOf, signInOf, STEP_FIELDS, stepAnswerOf, waysToAnswer, type PendingStepView } from "./pending-step";
import { keepRememberedDevice } from "./remembered-device";

const ofHostedSignIn = signInOf(HOSTED_CLIENT_ID);

/** A first factor being set up within the sign-in, carried by the page's forms so that a wrong code keeps the way. */
type SettingUp = "totp" | "email";
const SETTING_UP = "setting_up";

const settingUpOf = (form: URLSearchParams): SettingUp | undefined => {
  const value = field(form, SETTING_UP);
  return value === "totp" || value === "email" ? value : undefined;
};

interface StepView {
  state?: SecondStepState;
  settingUp?: SettingUp;
  error?: PageError;
  status?: ContentfulStatusCode;
}

/** What the step shows unless told: its answer for a person with factors, else the way being set up, else the choice. */
function defaultState(step: PendingStepView, settingUp: SettingUp | undefined): SecondStepState {
  if (step.factors.length > 0) return { kind: "answer", ...waysToAnswer(step.factors) };
  if (settingUp) return { kind: "answer", code: true, email: settingUp === "email", recovery: false };
  return { kind: "choose", setUp: step.setUp };
}

function render(c: Context<AppEnv>, request: AuthorizationRequest, step: PendingStepView, view: StepView) {
  const { tenant } = c.var;
  const parameters = clientParameters(request.parameters);
  const base = `${authorizePath(tenant)}/mfa`;
  const hidden = { ...hiddenFields(c, tenant.slug, parameters), [STEP_FIELDS.mfaToken]: step.mfaToken, ...(view.settingUp && { [SETTING_UP]: view.settingUp }) };
  // The answer ends at the client's redirect URI (the 303 of the code), which CSP's form-action must allow.
  allowFormTarget(c, request.redirectUri);
  return c.html(
    <SecondStepPage
      locale={localeOf(c, parameters)}
      tenantName={tenant.displayName}
      clientName={request.client.name}
      state={view.state ?? defaultState(step, view.settingUp)}
      actions={{ answer: base, email: `${base}/email`, enrol: `${base}/enrol` }}
      hidden={hidden}
      rememberDays={tenant.mfa.rememberDays}
      error={view.error}
      signInHref={`${authorizePath(tenant)}?${parameters}`}
      settingUp={view.settingUp !== undefined && step.factors.length === 0}
    />,
    view.status ?? 200,
  );
}

/** The sign-in page again, when the step is gone (expired, used, ended by wrong codes) or refused for good. */
function signInAgain(c: Context<AppEnv>, request: AuthorizationRequest, form: URLSearchParams, error?: AppError) {
  const pageError = !error || error.code === "invalid_credentials" ? { code: "step_ended" } : pageErrorOf(error);
  return signInPage(c, request, { account: accountOf(c.var.tenant, form), status: error?.status ?? 401, headers: error?.options.headers, error: pageError });
}

/** A hosted sign-in that met `mfa_required`: the second step's page instead of a refusal. */
export async function secondStepPage(c: Context<AppEnv>, request: AuthorizationRequest, required: AppError): Promise<Response> {
  const step = await pendingStepOf(scopeOf(c), c.var.tenant, String(required.options.extensions?.mfaToken ?? ""), ofHostedSignIn);
  if (!step) return signInAgain(c, request, new URLSearchParams());
  return render(c, request, step, { status: 401 });
}

/** The step a form names, or the sign-in page again. */
async function withStep(
  c: Context<AppEnv>,
  form: URLSearchParams,
  request: AuthorizationRequest,
  next: (step: PendingStepView) => Promise<Response>,
): Promise<Response> {
  const step = await pendingStepOf(scopeOf(c), c.var.tenant, field(form, STEP_FIELDS.mfaToken), ofHostedSignIn);
  return step ? next(step) : signInAgain(c, request, form);
}

/**
 * POST /authorize/mfa: the answer. Right: the browser keeps the session (and, when asked, this device is
 * remembered), then the client gets its code, or first the recovery codes of a first factor. Wrong: the
 * page again, saying so, while the step lasts; after that, the sign-in page.
 */
export function answerSecondStep(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  return withStep(c, form, request, async (step) => {
    const { tenant } = c.var;
    const scope = scopeOf(c);
    const settingUp = settingUpOf(form);
    const read = stepAnswerOf((name) => field(form, name));
    // A refused recovery code shows its form again, open.
    const again = (shown: PendingStepView, error: PageError, status: ContentfulStatusCode) => {
      const state = defaultState(shown, settingUp);
      const recoveryOpen = field(form, STEP_FIELDS.recoveryCode) !== undefined;
      return render(c, request, shown, { settingUp, status, error, state: state.kind === "answer" ? { ...state, recoveryOpen } : state });
    };
    if ("fieldErrors" in read) return again(step, { code: "validation_failed", fieldErrors: read.fieldErrors }, 400);
    let finished;
    try {
      finished = await finishStepOnPage(scope, tenant, read.answer, field(form, STEP_FIELDS.remember) === "on");
    } catch (error) {
      const after = await afterRefusal(scope, tenant, step.mfaToken, ofHostedSignIn, error);
      if ("again" in after) return again(after.again, { code: "wrong_code" }, 401);
      return signInAgain(c, request, form, after.ended);
    }
    keepBrowserSession(c, tenant, finished.refreshToken);
    if (finished.rememberToken) keepRememberedDevice(c, tenant, finished.rememberToken);
    if (finished.recoveryCodes) {
      // "Continue" asks for the code with the browser's session just kept (POST /authorize/continue).
      allowFormTarget(c, request.redirectUri);
      const next = { action: `${authorizePath(tenant)}/continue`, hidden: hiddenFields(c, tenant.slug, clientParameters(request.parameters)) };
      return c.html(<RecoveryCodesPage locale={localeOf(c, request.parameters)} tenantName={tenant.displayName} codes={finished.recoveryCodes} next={next} />);
    }
    // The page finishes only sign-ins (signInOf): the step is one.
    const first = step.step as Extract<PendingStep, { purpose: "sign-in" }>;
    return issueCode(c, request, { userId: finished.user.id, method: first.method, authTime: new Date(first.authTime), amr: finished.amr }, 303);
  });
}

/** POST /authorize/mfa/email: "Send me a code by e-mail", through the API's own function; the page says it went. */
export function mailSecondStepCodeOnPage(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  return withStep(c, form, request, async (step) => {
    const settingUp = settingUpOf(form);
    try {
      await mailStepCode(scopeOf(c), c.var.tenant, step.mfaToken, localeOf(c, request.parameters));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return render(c, request, step, { settingUp, status: error.status, error: pageErrorOf(error) });
    }
    const state = defaultState(step, settingUp);
    return render(c, request, step, { settingUp, state: state.kind === "answer" ? { ...state, mailed: true } : state });
  });
}

/**
 * POST /authorize/mfa/enrol: a person who must set up a factor first chose one (`type`): an app (its QR
 * code and key, then its first code) or e-mail codes (one is mailed at once). Without a type: the choice.
 */
export function setUpFirstFactor(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  return withStep(c, form, request, async (step) => {
    const type = field(form, "type");
    if (type !== "totp" && type !== "email") return render(c, request, step, {});
    try {
      const enrolment = await enrolFirstFactor(scopeOf(c), c.var.tenant, step.mfaToken, type, localeOf(c, request.parameters));
      const state: SecondStepState = enrolment ? { kind: "totp", ...enrolment } : { kind: "answer", code: true, email: true, recovery: false, mailed: true };
      return render(c, request, step, { settingUp: type, state });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return render(c, request, step, { status: error.status, error: pageErrorOf(error) });
    }
  });
}
