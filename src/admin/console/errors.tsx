import { HTTPException } from "hono/http-exception";
import { AppError, errorTitle } from "../../http/errors";
import { handleError } from "../../http/problem";
import { CsrfRefused } from "./csrf";
import type { ConsoleContext } from "./env";
import { BarePage } from "./layout";

/**
 * The console's `onError`: people read its answers, so expected errors are pages, with the API's status.
 * A CSRF refusal (hono's origin check throws a 403 HTTPException; the token checks throw CsrfRefused)
 * says only that the form was refused. Anything unexpected leaves through the API's handler (a logged
 * 500 without details).
 */
export function renderError(err: Error, c: ConsoleContext): Response | Promise<Response> {
  if (err instanceof CsrfRefused || (err instanceof HTTPException && err.status === 403)) {
    return c.html(
      <BarePage title="Request refused">
        <p role="alert">
          This form was refused: it did not come from this console page, or the page is too old.
        </p>
        <p>Go back, reload the page and try again.</p>
      </BarePage>,
      403,
    );
  }
  if (err instanceof AppError && err.status < 500) {
    for (const [name, value] of Object.entries(err.options.headers ?? {})) c.header(name, value);
    return c.html(
      <BarePage title={errorTitle[err.code]}>
        <p role="alert">{err.options.detail ?? errorTitle[err.code]}</p>
      </BarePage>,
      err.status,
    );
  }
  return handleError(err, c);
}
