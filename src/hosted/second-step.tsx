/**
 * The hosted sign-in's second step (rule M): any sign-in on the hosted page (password, provider,
 * registration) that meets `mfa_required` shows this page instead of a refusal. Its forms post to
 * `/t/{tenant}/authorize/mfa…` with the step's token and the authorization request (step-flow.ts does
 * each post's part; a passkey's form, with the passkey script, fetches its options first); once the step is passed, the sign-in ends as any other: the browser keeps its
 * session (and, when asked, the device is remembered), and the client gets a code carrying the session's
 * `amr`, or first the recovery codes of a first factor, shown once.
 */
import type { Context } from "hono";
import type { PendingStep } from "../factors/challenges";
import { scopeOf, type AppEnv } from "../http/context";
import type { AppError } from "../http/errors";
import type { AuthorizationRequest } from "./authorization-request";
import { accountOf, authorizePath, clientParameters, issueCode, localeOf, pageErrorOf, signInPage } from "./authorize";
import { HOSTED_CLIENT_ID, keepBrowserSession } from "./browser-session";
import { field, hiddenFields } from "./forms";
import { allowFormTarget } from "./headers";
import { RecoveryCodesPage, SecondStepPage } from "./pages";
import { optionsAnswer, stepPasskeyOptions } from "./passkey-options";
import { passkeyScriptSrc } from "./passkey-script";
import { pendingStepOf, signInOf, STEP_FIELDS } from "./pending-step";
import { keepRememberedDevice } from "./remembered-device";
import { answerStep, mailCodeForStep, SETTING_UP, setUpFirstFactor, showStep, type StepForm, type StepPages } from "./step-flow";

const ofHostedSignIn = signInOf(HOSTED_CLIENT_ID);

/** The hosted pages of the step, for this authorization request. */
function hostedPages(c: Context<AppEnv>, request: AuthorizationRequest, form: URLSearchParams): StepPages {
  const { tenant } = c.var;
  const parameters = clientParameters(request.parameters);
  const locale = localeOf(c, parameters);
  return {
    page(step, view) {
      const base = `${authorizePath(tenant)}/mfa`;
      const hidden = { ...hiddenFields(c, tenant.slug, parameters), [STEP_FIELDS.mfaToken]: step.mfaToken, ...(view.settingUp && { [SETTING_UP]: view.settingUp }) };
      const passkeyOptions = view.state.kind === "answer" && view.state.passkey ? `${base}/passkey` : undefined;
      // The answer ends at the client's redirect URI (the 303 of the code), which CSP's form-action must allow.
      allowFormTarget(c, request.redirectUri, passkeyOptions ? [passkeyOptions] : undefined);
      return c.html(
        <SecondStepPage
          locale={locale}
          tenantName={tenant.displayName}
          clientName={request.client.name}
          state={view.state}
          actions={{ answer: base, email: `${base}/email`, enrol: `${base}/enrol`, passkeyOptions }}
          script={passkeyOptions && passkeyScriptSrc(tenant.slug)}
          hidden={hidden}
          rememberDays={tenant.mfa.rememberDays}
          error={view.error}
          signInHref={`${authorizePath(tenant)}?${parameters}`}
          settingUp={view.settingUp !== undefined && step.factors.length === 0}
        />,
        view.status ?? 200,
      );
    },
    signInAgain(error) {
      const pageError = error.code === "invalid_credentials" ? { code: "step_ended" } : pageErrorOf(error);
      return signInPage(c, request, { account: accountOf(tenant, form), status: error.status, headers: error.options.headers, error: pageError });
    },
    signedIn(step, finished) {
      keepBrowserSession(c, tenant, finished.refreshToken);
      if (finished.rememberToken) keepRememberedDevice(c, tenant, finished.rememberToken);
      if (finished.recoveryCodes) {
        // "Continue" asks for the code with the browser's session just kept (POST /authorize/continue).
        allowFormTarget(c, request.redirectUri);
        const next = { action: `${authorizePath(tenant)}/continue`, hidden: hiddenFields(c, tenant.slug, parameters) };
        return c.html(<RecoveryCodesPage locale={locale} tenantName={tenant.displayName} codes={finished.recoveryCodes} next={next} />);
      }
      // This page finishes only sign-ins (signInOf): the step is one.
      const first = step.step as Extract<PendingStep, { purpose: "sign-in" }>;
      return issueCode(c, request, { userId: finished.user.id, method: first.method, authTime: new Date(first.authTime), amr: finished.amr }, 303);
    },
  };
}

const stepForm = (c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): StepForm => ({
  field: (name) => field(form, name),
  expected: ofHostedSignIn,
  locale: localeOf(c, request.parameters),
});

/** A hosted sign-in that met `mfa_required`: the second step's page instead of a refusal. */
export function secondStepPage(c: Context<AppEnv>, request: AuthorizationRequest, required: AppError): Promise<Response> {
  const mfaToken = String(required.options.extensions?.mfaToken ?? "");
  return showStep(scopeOf(c), c.var.tenant, mfaToken, ofHostedSignIn, hostedPages(c, request, new URLSearchParams()));
}

/** POST /authorize/mfa: the answer. */
export function answerSecondStep(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  return answerStep(scopeOf(c), c.var.tenant, stepForm(c, form, request), hostedPages(c, request, form));
}

/** POST /authorize/mfa/passkey: "Use a passkey", the options of the step's person's passkeys, for the script. */
export function passkeyOptionsForSecondStep(c: Context<AppEnv>, form: URLSearchParams): Promise<Response> {
  const scope = scopeOf(c);
  return optionsAnswer(c, async () => stepPasskeyOptions(scope, c.var.tenant, await pendingStepOf(scope, c.var.tenant, field(form, STEP_FIELDS.mfaToken), ofHostedSignIn)));
}

/** POST /authorize/mfa/email: "Send me a code by e-mail". */
export function mailSecondStepCodeOnPage(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  return mailCodeForStep(scopeOf(c), c.var.tenant, stepForm(c, form, request), hostedPages(c, request, form));
}

/** POST /authorize/mfa/enrol: a first factor chosen (or "Start again"). */
export function setUpFirstFactorOnPage(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  return setUpFirstFactor(scopeOf(c), c.var.tenant, stepForm(c, form, request), hostedPages(c, request, form));
}
