import * as v from "valibot";
import { MAX_PASSWORD_LENGTH } from "../../credentials/password-policy";
import { signInWithPassword } from "../../credentials/sign-in";
import { isSecondStep } from "../../factors/challenges";
import { scopeOf } from "../../http/context";
import { AppError } from "../../http/errors";
import { requestMeta } from "../../http/request-meta";
import { revokeSession } from "../../tokens/sessions";
import { checkSignInCsrf } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { doneText, FlashQuery } from "./flash";
import { formOf, queryOf } from "./forms";
import { renderSignIn, type SignInView } from "./sign-in-page";
import { consoleSecondStep } from "./sign-in-step";
import { clearConsoleSession, CONSOLE_CLIENT_ID, NOT_AN_ADMIN, startConsoleSession } from "./session";

/** GET /sign-in (behind `tenantRoute()`). */
export function signInPage(c: ConsoleContext) {
  const { done } = queryOf(c, v.object({ done: FlashQuery.done }));
  return renderSignIn(c, c.var.tenant, { notice: doneText(done) });
}

const ENTER_LOGIN = "Enter your username or e-mail.";
const ENTER_PASSWORD = "Enter your password.";

/**
 * In the words the form shows: what to type, or how much at most. A field that is not sent at all reads
 * as empty (the default goes through the field's schema), so that it too is told what to type.
 */
const SignInForm = v.object({
  login: v.optional(
    v.pipe(
      v.string(ENTER_LOGIN),
      v.trim(),
      v.minLength(1, ENTER_LOGIN),
      v.maxLength(320, "The username or e-mail is too long: at most 320 characters."),
    ),
    "",
  ),
  password: v.optional(
    v.pipe(
      v.string(ENTER_PASSWORD),
      v.minLength(1, ENTER_PASSWORD),
      v.maxLength(MAX_PASSWORD_LENGTH, `The password is too long: at most ${MAX_PASSWORD_LENGTH} characters.`),
    ),
    "",
  ),
});

/** How the API's sign-in refusals read on the form; the status stays the API's. */
export function refusalView(error: AppError, login: string): SignInView {
  switch (error.code) {
    case "invalid_credentials":
      return { status: 401, login, error: "The login or password is not correct." };
    case "account_inactive":
      return { status: 403, login, error: error.options.detail ?? "The account is not active." };
    case "forbidden":
      return { status: 403, login, error: NOT_AN_ADMIN };
    case "account_locked": {
      const seconds = Number(error.options.headers?.["Retry-After"] ?? 60);
      const minutes = Math.max(1, Math.ceil(seconds / 60));
      return {
        status: 429,
        login,
        error: `Too many failed attempts: the account is locked. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
        headers: error.options.headers,
      };
    }
    default:
      throw error;
  }
}

/**
 * POST /sign-in (behind `tenantRoute()`): the API's own MyQ sign-in (rule L: lockout, attempt records,
 * `account_inactive` only after the right password) for the console's client id, for admins only: anyone
 * else's right password opens no session, and the attempt is recorded as refused (`forbidden`). An admin
 * who owes a second factor gets its step first (sign-in-step.tsx).
 */
export async function signInSubmit(c: ConsoleContext) {
  await checkSignInCsrf(c, c.var.tenant.slug);
  const { tenant } = c.var;
  const form = await formOf(c, SignInForm, (reasons) => renderSignIn(c, tenant, { status: 400, error: reasons.join(" ") }));
  if (form instanceof Response) return form;

  let tokens;
  try {
    tokens = await signInWithPassword(
      scopeOf(c),
      tenant,
      { login: form.login, password: form.password, clientId: CONSOLE_CLIENT_ID, scope: "", role: "admin" },
      requestMeta(c.req.raw),
    );
  } catch (error) {
    if (error instanceof AppError && isSecondStep(error)) return consoleSecondStep(c, error);
    if (error instanceof AppError) return renderSignIn(c, tenant, refusalView(error, form.login));
    throw error;
  }

  startConsoleSession(c, tenant.slug, tokens.refresh_token);
  return c.redirect(`${consolePath(tenant.slug)}/users`, 303);
}

/** POST /sign-out (behind `requireConsoleAdmin()` and the CSRF token): the session ends here and now. */
export async function signOut(c: ConsoleContext) {
  const { tenant, principal, db } = c.var;
  await revokeSession(db, principal.sessionId);
  clearConsoleSession(c, tenant.slug);
  return c.redirect(`${consolePath(tenant.slug)}/sign-in?done=signed_out`, 303);
}
