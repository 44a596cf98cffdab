import type { Context } from "hono";
import { signInWithPassword } from "../credentials/sign-in";
import { isSecondStep } from "../factors/challenges";
import { scopeOf, type AppEnv } from "../http/context";
import { AppError } from "../http/errors";
import { requestMeta } from "../http/request-meta";
import { accountOf, issueCode, pageErrorOf, signedInWith, signInPage } from "./authorize";
import type { AuthorizationRequest } from "./authorization-request";
import { HOSTED_CLIENT_ID, keepBrowserSession } from "./browser-session";
import { field } from "./forms";
import { rememberedDeviceOf } from "./remembered-device";
import { secondStepPage } from "./second-step";

/** At most what the JSON sign-in takes: a login is a username or an e-mail address. */
const MAX_LOGIN = 320;

/**
 * POST /authorize/password: MyQ credentials on the hosted page. The API's own sign-in (rule L: lockout,
 * attempt records, `account_inactive` only after the right password) opens the browser's session; the
 * request then gets its code. A person who owes a second factor (rule M: unless this browser is a device
 * they asked to be remembered) gets the second step's page; a refusal is the page again, saying why in
 * the person's words.
 */
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
  try {
    const rememberToken = rememberedDeviceOf(c);
    const tokens = await signInWithPassword(scopeOf(c), tenant, { login, password, clientId: HOSTED_CLIENT_ID, scope: "openid", rememberToken }, requestMeta(c.req.raw));
    keepBrowserSession(c, tenant, tokens.refresh_token);
    return issueCode(c, request, signedInWith(tokens, "password"), 303);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (isSecondStep(error)) return secondStepPage(c, request, error);
    return signInPage(c, request, { account, login, status: error.status, headers: error.options.headers, error: pageErrorOf(error) });
  }
}
