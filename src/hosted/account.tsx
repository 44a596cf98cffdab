/**
 * The pages the links of printid's messages open (`/t/{tenant}/account/…`): confirm an e-mail address,
 * choose a new password, accept an invitation; and "Forgot your password?" from the sign-in page. A link
 * opens a page, and only its form (a POST with a CSRF token) uses the token: a mail scanner that follows
 * links spends nothing. Each form calls the same function as the JSON API (rules E, L and S once).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import { verifyWithToken } from "../accounts/email-verification";
import { acceptInvitation } from "../accounts/invitations";
import { mailPasswordReset, resetPassword } from "../credentials/password-reset";
import { NewPassword } from "../credentials/password-policy";
import { scopeOf, type AppEnv } from "../http/context";
import { CSRF_FIELD, doubleSubmitToken } from "../http/csrf";
import { AppError } from "../http/errors";
import { fieldErrors } from "../http/validation";
import { isSecondStep } from "../factors/challenges";
import { mailStepCode } from "../factors/mfa-routes";
import { mailAfterAnswer } from "../mail/proof";
import { authorizePath, localeOf, pageErrorOf } from "./authorize";
import { tenantPath } from "./browser-session";
import { checkFormToken, field, formParameters, REQUEST_FIELD } from "./forms";
import { AccountDonePage, AccountFormPage, type AccountAction, type PageError } from "./pages";
import { pendingStepOf, STEP_FIELDS, stepAnswerOf, waysToAnswer, type PendingStepView } from "./pending-step";

export const accountPath = (slug: string) => `/t/${slug}/account`;

/** Where each action's form posts, under the tenant's account pages. */
const formPaths: Record<AccountAction, string> = {
  verify: "email/verify",
  forgot: "password/forgot",
  reset: "password/reset",
  invitation: "invitation",
};

const csrfCookie = (slug: string) => ({ name: "printid_hosted_csrf", path: tenantPath(slug) });

interface FormView {
  error?: PageError;
  status?: ContentfulStatusCode;
  login?: string;
  backHref?: string;
  /** A reset's second factor: the step its form answers, and whether a code was just mailed for it. */
  step?: PendingStepView;
  mailed?: boolean;
  recoveryOpen?: boolean;
}

function formPage(c: Context<AppEnv>, action: AccountAction, hidden: Record<string, string>, view: FormView = {}) {
  const { tenant } = c.var;
  const fields = { [CSRF_FIELD]: doubleSubmitToken(c, csrfCookie(tenant.slug)), ...hidden, ...(view.step && { [STEP_FIELDS.mfaToken]: view.step.mfaToken }) };
  const ways = view.step && waysToAnswer(view.step.factors);
  const email = ways?.email ? { action: `${accountPath(tenant.slug)}/${formPaths.reset}/code`, hidden: fields } : undefined;
  return c.html(
    <AccountFormPage
      locale={localeOf(c, new URL(c.req.url).searchParams)}
      tenantName={tenant.displayName}
      action={action}
      formAction={`${accountPath(tenant.slug)}/${formPaths[action]}`}
      hidden={fields}
      error={view.error}
      login={view.login}
      backHref={view.backHref}
      step={ways && { ...ways, email, mailed: view.mailed, recoveryOpen: view.recoveryOpen }}
    />,
    view.status ?? 200,
  );
}

/** A reset's step (rule M: a person with a second factor proves it too), by the token its form carries. */
const resetStepOf = (c: Context<AppEnv>, form: URLSearchParams) =>
  pendingStepOf(scopeOf(c), c.var.tenant, field(form, STEP_FIELDS.mfaToken), (step) => step.purpose === "password-reset");

/**
 * A new password by link, with the person's second factor when they have one: the first post answers
 * `mfa_required`, and the page asks for the password again with a code (or a recovery code); a wrong code
 * asks again while the step lasts.
 */
async function resetWithSecondFactor(c: Context<AppEnv>, form: URLSearchParams, token: string, password: string): Promise<Response | undefined> {
  const scope = scopeOf(c);
  const { tenant } = c.var;
  const again = { token };
  const recoveryOpen = field(form, STEP_FIELDS.recoveryCode) !== undefined;
  const asked = field(form, STEP_FIELDS.mfaToken) !== undefined;
  const read = asked ? stepAnswerOf((name) => field(form, name)) : { answer: {} };
  if ("fieldErrors" in read) {
    const step = await resetStepOf(c, form);
    return formPage(c, "reset", again, { step, recoveryOpen, status: 400, error: { code: "validation_failed", fieldErrors: read.fieldErrors } });
  }
  try {
    await resetPassword(scope, tenant, token, password, read.answer);
    return undefined;
  } catch (error) {
    if (error instanceof AppError && isSecondStep(error)) {
      const step = await pendingStepOf(scope, tenant, String(error.options.extensions?.mfaToken ?? ""), () => true);
      return formPage(c, "reset", again, { step, status: 401 });
    }
    if (!(error instanceof AppError) || !asked || error.code !== "invalid_credentials") throw error;
    const step = await resetStepOf(c, form);
    return formPage(c, "reset", again, step ? { step, recoveryOpen, status: 401, error: { code: "wrong_code" } } : { status: 401, error: { code: "step_ended" } });
  }
}

/** POST /account/password/reset/code: "Send me a code by e-mail" for a reset's step; the page says it went. */
export async function mailResetCode(c: Context<AppEnv>, form: URLSearchParams): Promise<Response> {
  const again = { token: field(form, "token") ?? "" };
  const step = await resetStepOf(c, form);
  if (!step) return formPage(c, "reset", again, { status: 401, error: { code: "step_ended" } });
  try {
    await mailStepCode(scopeOf(c), c.var.tenant, step.mfaToken, localeOf(c, new URLSearchParams()));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return formPage(c, "reset", again, { step, status: error.status, error: pageErrorOf(error) });
  }
  return formPage(c, "reset", again, { step, mailed: true });
}

/** GET of a message's link: the page with the form that uses its token. */
export function linkPage(action: Exclude<AccountAction, "forgot">) {
  return (c: Context<AppEnv>) => formPage(c, action, { token: c.req.query("token") ?? "" });
}

/** "Forgot your password?", carrying the sign-in page's request to go back to it. */
export function forgotPage(c: Context<AppEnv>) {
  const request = new URL(c.req.url).searchParams;
  return formPage(c, "forgot", { [REQUEST_FIELD]: request.toString() }, { backHref: backToSignIn(c, request) });
}

function backToSignIn(c: Context<AppEnv>, request: URLSearchParams): string | undefined {
  return request.has("client_id") ? `${authorizePath(c.var.tenant)}?${request}` : undefined;
}

/** The new password as the policy wants it, or the page again saying why. */
function newPasswordOf(form: URLSearchParams, path: string): { password: string } | { error: PageError } {
  const parsed = v.safeParse(NewPassword, field(form, "password") ?? "");
  if (parsed.success) return { password: parsed.output };
  return { error: { code: "validation_failed", fieldErrors: fieldErrors(parsed.issues).map((error) => ({ ...error, path })) } };
}

/**
 * The POSTs of these pages: the form's CSRF token, then the action through the API's own function; done,
 * the page says so; refused, the form again with the refusal (an unusable link in words).
 */
export function accountSubmit(action: AccountAction) {
  return async (c: Context<AppEnv>) => {
    const form = await formParameters(c);
    await checkFormToken(c, c.var.tenant.slug, form);
    const token = field(form, "token") ?? "";
    const again = { token };
    try {
      const scope = scopeOf(c);
      const { tenant } = c.var;
      if (action === "forgot") {
        const login = (field(form, "login") ?? "").trim().slice(0, 320);
        // Answered alike whether the account exists (rule L): the message goes out after the answer.
        if (login) mailAfterAnswer(c, () => mailPasswordReset(scope, tenant, login, localeOf(c, new URLSearchParams())));
        const request = new URLSearchParams(field(form, REQUEST_FIELD) ?? "");
        return done(c, action, backToSignIn(c, request));
      }
      if (action === "verify") await verifyWithToken(scope, tenant, token);
      else {
        const chosen = newPasswordOf(form, "password");
        // A reset's second step, when its form carries one, stays on the page.
        const step = action === "reset" ? await resetStepOf(c, form) : undefined;
        if ("error" in chosen) return formPage(c, action, again, { error: chosen.error, status: 400, step });
        if (action === "reset") {
          const stepPage = await resetWithSecondFactor(c, form, token, chosen.password);
          if (stepPage) return stepPage;
        } else await acceptInvitation(scope, tenant, token, chosen.password);
      }
      return done(c, action);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const unusable = error.options.errors?.some((reason) => reason.path === "token");
      const pageError: PageError = unusable
        ? { code: "unusable_link" }
        : { ...pageErrorOf(error), fieldErrors: error.options.errors?.map((reason) => ({ ...reason, path: reason.path === "newPassword" ? "password" : reason.path })) };
      return formPage(c, action, again, { error: pageError, status: error.status });
    }
  };
}

function done(c: Context<AppEnv>, action: AccountAction, backHref?: string) {
  return c.html(<AccountDonePage locale={localeOf(c, new URLSearchParams())} tenantName={c.var.tenant.displayName} action={action} backHref={backHref} />);
}
