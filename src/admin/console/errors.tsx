import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, describe } from "../../http/errors";
import { loggedError } from "../../http/problem";
import { CsrfRefused } from "./csrf";
import type { ConsoleContext } from "./env";
import { BarePage } from "./layout";

/**
 * A CSRF refusal (hono's origin check throws a 403 HTTPException; the token checks throw CsrfRefused)
 * is the API's `forbidden`, saying only that the form was refused.
 */
function asAppError(err: Error): Error {
  if (!(err instanceof CsrfRefused || (err instanceof HTTPException && err.status === 403))) return err;
  return new AppError("forbidden", {
    detail:
      "This form was refused: it did not come from this console page, or the page is too old. " +
      "Go back, reload the page and try again.",
    internal: err.message,
  });
}

/**
 * The console's `onError`: people read its answers, so every error is a page. The API's own error exit
 * decides the error (status, headers such as `Retry-After`, the words: title, detail and reasons) and
 * logs it; this only lays it out.
 */
export function renderError(err: Error, c: ConsoleContext): Response | Promise<Response> {
  const error = loggedError(c, asAppError(err));
  for (const [name, value] of Object.entries(error.options.headers ?? {})) c.header(name, value);
  const detail = describe(error);
  const reasons = (error.options.errors ?? []).map((reason) => reason.message).filter((message) => message !== detail);
  return c.html(
    <BarePage title={error.title}>
      <p role="alert">{detail}</p>
      {reasons.length > 0 && (
        <ul>
          {reasons.map((reason) => (
            <li>{reason}</li>
          ))}
        </ul>
      )}
    </BarePage>,
    error.status as ContentfulStatusCode,
  );
}
