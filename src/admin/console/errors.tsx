import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "../../http/errors";
import { handleError } from "../../http/problem";
import { CsrfRefused } from "./csrf";
import type { ConsoleContext } from "./env";
import { BarePage } from "./layout";

/** The problem document the API's error handler answers (RFC 9457), as much of it as a page shows. */
interface Problem {
  title: string;
  detail: string;
  errors?: { message: string }[];
}

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
 * decides the status, the headers (`Retry-After`, the request id) and the log line, and writes the words
 * (its problem document's title, detail and reasons); this only lays them out.
 */
export async function renderError(err: Error, c: ConsoleContext): Promise<Response> {
  const answer = handleError(asAppError(err), c);
  const problem = (await answer.json()) as Problem;
  answer.headers.forEach((value, name) => {
    if (name !== "content-type") c.header(name, value);
  });
  const reasons = (problem.errors ?? []).map((error) => error.message).filter((message) => message !== problem.detail);
  return c.html(
    <BarePage title={problem.title}>
      <p role="alert">{problem.detail}</p>
      {reasons.length > 0 && (
        <ul>
          {reasons.map((reason) => (
            <li>{reason}</li>
          ))}
        </ul>
      )}
    </BarePage>,
    answer.status as ContentfulStatusCode,
  );
}
