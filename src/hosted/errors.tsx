import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../http/context";
import { CsrfRefused } from "../http/csrf";
import { loggedError } from "../http/problem";
import { UntrustedAuthorizationRequest } from "./authorization-request";
import { localeFor, type ErrorPageCode } from "./i18n";
import { ErrorPage, errorPageStatus } from "./pages";

/** The API's codes a hosted error page names as they are; anything else is ours to have got wrong. */
const PAGE_CODES: ReadonlySet<string> = new Set<ErrorPageCode>(["tenant_not_found", "tenant_disabled", "invalid_request"]);

function pageCodeOf(err: Error, c: Context<AppEnv>): { code: ErrorPageCode; detail?: string } {
  if (err instanceof UntrustedAuthorizationRequest) return { code: err.reason, detail: err.detail };
  // hono's origin check throws a 403 HTTPException; the form token checks throw CsrfRefused.
  if (err instanceof CsrfRefused || (err instanceof HTTPException && err.status === 403)) {
    loggedError(c, err);
    return { code: "csrf" };
  }
  const error = loggedError(c, err);
  if (error.code === "validation_failed") return { code: "invalid_request", detail: error.options.detail };
  return { code: PAGE_CODES.has(error.code) ? (error.code as ErrorPageCode) : "server_error" };
}

/**
 * The hosted pages' `onError`: people read these answers, so each error is a page, in their language,
 * and never a redirect (a request whose client is trusted has its refusals sent back by `continuing`).
 */
export async function renderHostedError(err: Error, c: Context<AppEnv>): Promise<Response> {
  const { code, detail } = pageCodeOf(err, c);
  const locale = localeFor(c.req.query("ui_locales"), c.req.header("Accept-Language"));
  return c.html(<ErrorPage locale={locale} code={code} detail={detail} />, errorPageStatus[code]);
}
