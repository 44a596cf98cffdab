import type { FieldError } from "../../http/errors";
import type { Catalogue, RefusalCode } from "../i18n";

/** Why the last form was refused, as the caller knows it from the API's error. */
export interface PageError {
  /** An API error code (`invalid_credentials`...), or `session_expired` / `csrf`. */
  code: string;
  /** The server's own explanation, in English: shown only for a code the catalogue cannot put in words. */
  detail?: string;
  /** For `validation_failed`: the server's messages per field, in English, shown as given. */
  fieldErrors?: FieldError[];
  /** From Retry-After, for a refusal that passes with time. */
  retryAfterSeconds?: number;
}

/** Refusals that end by themselves: their message says when to try again, or "later". */
const passing: ReadonlySet<string> = new Set<RefusalCode>(["account_locked", "rate_limited", "unavailable"]);

function isRefusalCode(m: Catalogue, code: string): code is RefusalCode {
  return Object.hasOwn(m.refusals, code);
}

/** The refusal in the person's words: the code's sentence, then when to try again if that is known. */
export function errorSentence(m: Catalogue, error: PageError): string {
  const sentence = isRefusalCode(m, error.code) ? m.refusals[error.code] : m.unexpected;
  const waits = passing.has(error.code) || error.retryAfterSeconds !== undefined;
  return waits ? `${sentence} ${m.retry(error.retryAfterSeconds)}` : sentence;
}

/** The server's messages for one field. */
export function fieldErrorsOf(error: PageError | undefined, name: string): string[] {
  return (error?.fieldErrors ?? []).filter((fieldError) => fieldError.path === name).map((fieldError) => fieldError.message);
}

/**
 * The error summary at the top of a form: announced (role="alert") and focused on arrival, so a screen
 * reader reads it first and the next Tab reaches the fields; each field error links to its field.
 * Errors of fields the form does not have (none expected) are listed without a link.
 */
export function ErrorSummary(props: { m: Catalogue; error?: PageError; fields: { name: string; label: string }[] }) {
  const { m, error } = props;
  if (!error) return null;
  return (
    <div class="alert" role="alert" id="error-summary" tabindex={-1} autofocus>
      <p>{errorSentence(m, error)}</p>
      {!isRefusalCode(m, error.code) && error.detail && <p lang="en">{error.detail}</p>}
      {error.fieldErrors && error.fieldErrors.length > 0 && (
        <ul>
          {error.fieldErrors.map((fieldError) => {
            const field = props.fields.find((candidate) => candidate.name === fieldError.path);
            const message = <span lang="en">{fieldError.message}</span>;
            return <li>{field ? <a href={`#${field.name}`}>{m.fieldLabel(field.label)} {message}</a> : message}</li>;
          })}
        </ul>
      )}
    </div>
  );
}
