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
import { mailAfterAnswer } from "../mail/proof";
import { authorizePath, localeOf, pageErrorOf } from "./authorize";
import { tenantPath } from "./browser-session";
import { checkFormToken, field, formParameters, REQUEST_FIELD } from "./forms";
import { AccountDonePage, AccountFormPage, type AccountAction, type PageError } from "./pages";

export const accountPath = (slug: string) => `/t/${slug}/account`;

/** Where each action's form posts, under the tenant's account pages. */
const formPaths: Record<AccountAction, string> = {
  verify: "email/verify",
  forgot: "password/forgot",
  reset: "password/reset",
  invitation: "invitation",
};

const csrfCookie = (slug: string) => ({ name: "printid_hosted_csrf", path: tenantPath(slug) });

function formPage(c: Context<AppEnv>, action: AccountAction, hidden: Record<string, string>, view: { error?: PageError; status?: ContentfulStatusCode; login?: string; backHref?: string } = {}) {
  const { tenant } = c.var;
  return c.html(
    <AccountFormPage
      locale={localeOf(c, new URL(c.req.url).searchParams)}
      tenantName={tenant.displayName}
      action={action}
      formAction={`${accountPath(tenant.slug)}/${formPaths[action]}`}
      hidden={{ [CSRF_FIELD]: doubleSubmitToken(c, csrfCookie(tenant.slug)), ...hidden }}
      error={view.error}
      login={view.login}
      backHref={view.backHref}
    />,
    view.status ?? 200,
  );
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
        if ("error" in chosen) return formPage(c, action, again, { error: chosen.error, status: 400 });
        if (action === "reset") await resetPassword(scope, tenant, token, chosen.password);
        else await acceptInvitation(scope, tenant, token, chosen.password);
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
