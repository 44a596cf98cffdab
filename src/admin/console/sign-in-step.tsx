/**
 * The console's sign-in, second step (rule M): an admin who owes a second factor answers it here after
 * the password (or sets one up first, where the tenant requires one and they have none), through the same
 * flow as the hosted sign-in (hosted/step-flow.ts, its words in English); passed, the console's session
 * starts. Each form carries the sign-in's CSRF token (a double-submit cookie: no session exists yet).
 */
import type { Tenant } from "../../db/schema";
import { messages } from "../../hosted/i18n";
import { RecoveryCodeList, SecondStepContent, secondStepTitle } from "../../hosted/pages";
import { signInOf, STEP_FIELDS } from "../../hosted/pending-step";
import { answerStep, mailCodeForStep, SETTING_UP, setUpFirstFactor, showStep, type StepForm, type StepPages } from "../../hosted/step-flow";
import { scopeOf } from "../../http/context";
import type { AppError } from "../../http/errors";
import { checkSignInCsrf, signInCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { formFields } from "./forms";
import { BarePage } from "./layout";
import { CONSOLE_CLIENT_ID, startConsoleSession } from "./session";
import { renderSignIn, type SignInView } from "./sign-in-page";
import { refusalView } from "./sign-in";

const ofConsoleSignIn = signInOf(CONSOLE_CLIENT_ID);
const m = messages("en");

const STEP_ENDED = "This verification took too long or had too many wrong codes. Sign in again.";

/** The console's pages of the step. */
function consolePages(c: ConsoleContext, tenant: Tenant): StepPages {
  const base = consolePath(tenant.slug);
  return {
    page(step, view) {
      const hidden = { [STEP_FIELDS.mfaToken]: step.mfaToken, ...(view.settingUp && { [SETTING_UP]: view.settingUp }) };
      const csrf = signInCsrfToken(c, tenant.slug);
      return c.html(
        <BarePage title={secondStepTitle(m, view.state)} heading={`${tenant.displayName}: administration`}>
          <h2>{secondStepTitle(m, view.state)}</h2>
          <SecondStepContent
            m={m}
            state={view.state}
            actions={{ answer: `${base}/sign-in/mfa`, email: `${base}/sign-in/mfa/email`, enrol: `${base}/sign-in/mfa/enrol` }}
            hidden={{ csrf, ...hidden }}
            rememberDays={0}
            error={view.error}
            signInHref={`${base}/sign-in`}
            settingUp={view.settingUp !== undefined && step.factors.length === 0}
          />
        </BarePage>,
        view.status ?? 200,
      );
    },
    signInAgain(error: AppError) {
      const view: SignInView = error.code === "invalid_credentials" ? { status: 401, error: STEP_ENDED } : refusalView(error, "");
      return renderSignIn(c, tenant, view);
    },
    signedIn(_step, finished) {
      startConsoleSession(c, tenant.slug, finished.refreshToken);
      if (!finished.recoveryCodes) return c.redirect(`${base}/users`, 303);
      return c.html(
        <BarePage title={m.recoveryCodes.title}>
          <RecoveryCodeList m={m} codes={finished.recoveryCodes} />
          <p>
            <a href={`${base}/users`}>Continue to the console</a>
          </p>
        </BarePage>,
      );
    },
  };
}

/** A console sign-in that met `mfa_required`: the step's page instead of a refusal. */
export function consoleSecondStep(c: ConsoleContext, required: AppError): Promise<Response> {
  const { tenant } = c.var;
  return showStep(scopeOf(c), tenant, String(required.options.extensions?.mfaToken ?? ""), ofConsoleSignIn, consolePages(c, tenant));
}

/** One of the step's forms, its CSRF token checked, then `flow`'s part. */
function stepPost(flow: typeof answerStep) {
  return async (c: ConsoleContext) => {
    const { tenant } = c.var;
    await checkSignInCsrf(c, tenant.slug);
    const fields = await formFields(c);
    const form: StepForm = { field: (name) => fields[name], expected: ofConsoleSignIn, locale: "en" };
    return flow(scopeOf(c), tenant, form, consolePages(c, tenant));
  };
}

/** POST /sign-in/mfa: the answer; /sign-in/mfa/email: a code by e-mail; /sign-in/mfa/enrol: a first factor chosen. */
export const answerConsoleStep = stepPost(answerStep);
export const mailConsoleStepCode = stepPost(mailCodeForStep);
export const setUpConsoleFactor = stepPost(setUpFirstFactor);
