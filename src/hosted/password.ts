import type { Context } from "hono";
import { signInWithPassword } from "../credentials/sign-in";
import type { AccountKind } from "../db/schema";
import { isSecondStep } from "../factors/challenges";
import { scopeOf, type AppEnv } from "../http/context";
import { AppError } from "../http/errors";
import { requestMeta } from "../http/request-meta";
import type { TokenResponse } from "../tokens/issue";
import { accountOf, issueCode, pageErrorOf, signedInWith, signInPage } from "./authorize";
import type { AuthorizationRequest } from "./authorization-request";
import { HOSTED_CLIENT_ID, keepBrowserSession } from "./browser-session";
import { field } from "./forms";
import type { PageError } from "./pages";
import { rememberedDeviceOf } from "./remembered-device";
import { secondStepPage } from "./second-step";

/** At most what the JSON sign-in takes: a login is a username or an e-mail address. */
const MAX_LOGIN = 320;

/** A sign-in form of the hosted page: which account tab it was on, what was typed as login, and how it signs in. */
export interface SignInForm {
  account: AccountKind;
  login?: string;
  /** The session's method (`password`, `passkey`), which the code carries. */
  method: string;
}

/**
 * A sign-in on the hosted page through the API's own function (`open`: rule L's lockout and records, rule
 * M's gate): it opens the browser's session, and the request gets its code. A person who owes a second
 * factor (unless this browser is a device they asked to be remembered) gets the second step's page; a
 * refusal is the page again, saying why in the person's words (`refusal` may word it for this way in).
 */
export async function signInOnPage(
  c: Context<AppEnv>,
  request: AuthorizationRequest,
  form: SignInForm,
  open: () => Promise<TokenResponse>,
  refusal: (error: AppError) => PageError = pageErrorOf,
): Promise<Response> {
  const { tenant } = c.var;
  try {
    const tokens = await open();
    keepBrowserSession(c, tenant, tokens.refresh_token);
    return issueCode(c, request, signedInWith(tokens, form.method), 303);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (isSecondStep(error)) return secondStepPage(c, request, error);
    return signInPage(c, request, { account: form.account, login: form.login, status: error.status, headers: error.options.headers, error: refusal(error) });
  }
}

/** POST /authorize/password: MyQ credentials on the hosted page. */
export async function passwordSignIn(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  const { tenant } = c.var;
  const login = field(form, "login")?.trim() ?? "";
  const password = field(form, "password") ?? "";
  const account = accountOf(tenant, form);
  if (!login || !password || login.length > MAX_LOGIN || password.length > 256) {
    const missing = [!login && { path: "login", message: "Enter your username or e-mail." }, !password && { path: "password", message: "Enter your password." }];
    const fieldErrors = missing.filter((error) => error !== false);
    return signInPage(c, request, { account, login, status: 400, error: { code: "validation_failed", fieldErrors } });
  }
  return signInOnPage(c, request, { account, login, method: "password" }, () =>
    signInWithPassword(
      scopeOf(c),
      tenant,
      { login, password, clientId: HOSTED_CLIENT_ID, scope: "openid", rememberToken: rememberedDeviceOf(c) },
      requestMeta(c.req.raw),
    ),
  );
}
