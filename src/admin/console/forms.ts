import * as v from "valibot";
import { AppError, type FieldError } from "../../http/errors";
import { fieldErrors } from "../../http/validation";
import type { ConsoleContext } from "./env";

/**
 * What a refused form or link says, as the lead sentence of its 400 page (errors.tsx); the page then lists
 * the reasons. A person can cause only some of them (an empty or too long field); the others mean a page
 * was changed or cut short, so the way out is a fresh page.
 */
const refusal = {
  form: "This form could not be used, and nothing was changed. Go back, reload the page and try again.",
  link: "This link is not valid: it was cut short or changed. Open the page again from the console's menu.",
} as const;

/** The reason for a field that only a changed page can get wrong (a hidden field, a switch's value). */
const altered = {
  form: "Some of its fields are not as the console's page sends them.",
  link: "Part of it is not as the console made it.",
} as const;

type Source = keyof typeof refusal;

/** One entry per sentence: two fields refused for the same reason say it once. */
function distinct(errors: FieldError[]): FieldError[] {
  return [...new Map(errors.map((error) => [error.message, error])).values()];
}

/** The API's `400 validation_failed`, so that its error exit logs it; errors.tsx lays it out as a page. */
function refused(source: Source, errors: FieldError[], internal: string): AppError {
  return new AppError("validation_failed", {
    detail: refusal[source],
    errors: distinct(errors),
    internal: `console ${source}: ${internal}`,
  });
}

/** Every console form is a browser's `application/x-www-form-urlencoded` POST: none sends files. */
const FORM_TYPE = "application/x-www-form-urlencoded";

/**
 * The fields of the POST's form (hono keeps the body, so the CSRF check and the handler both read it).
 * Anything else is refused before a field is looked at: another content type, or a field sent twice
 * (which value would count is the client's guess, so neither does).
 */
export async function formFields(c: ConsoleContext): Promise<Record<string, string>> {
  const type = c.req.header("Content-Type")?.split(";", 1)[0]?.trim().toLowerCase();
  if (type !== FORM_TYPE) {
    const reason = "It was not sent the way the console's pages send forms.";
    throw refused("form", [{ path: "", message: reason }], "not a urlencoded form");
  }
  const fields: Record<string, string> = Object.create(null);
  // Bytes, then UTF-8 (as browsers encode forms): workerd warns when a non-text type is read as text.
  const body = new TextDecoder().decode(await c.req.arrayBuffer());
  for (const [name, value] of new URLSearchParams(body)) {
    if (name in fields) {
      throw refused("form", [{ path: name, message: "A field was sent more than once." }], "repeated field");
    }
    fields[name] = value;
  }
  return fields;
}

/** In the schema's own words where it has some (what a person can get wrong), else `altered`'s. */
function check<S extends v.GenericSchema>(source: Source, schema: S, input: unknown) {
  return v.safeParse(schema, input, { message: altered[source] });
}

/**
 * A console form, checked by its schema, whose messages are sentences for the person who filled it
 * in. When it does not pass, `invalid()` answers with those sentences (a page saying what to fix), or
 * else the console's 400 page lists them.
 */
export async function formOf<S extends v.GenericSchema>(
  c: ConsoleContext,
  schema: S,
  invalid?: (reasons: string[]) => Response | Promise<Response>,
): Promise<v.InferOutput<S> | Response> {
  const parsed = check("form", schema, await formFields(c));
  if (parsed.success) return parsed.output;
  const errors = fieldErrors(parsed.issues);
  if (invalid) return invalid(distinct(errors).map((error) => error.message));
  throw refused("form", errors, "invalid fields");
}

/** A page's query string, checked by its schema: a bad one is the console's 400 page. */
export function queryOf<S extends v.GenericSchema>(c: ConsoleContext, schema: S): v.InferOutput<S> {
  const parsed = check("link", schema, c.req.query());
  if (parsed.success) return parsed.output;
  throw refused("link", fieldErrors(parsed.issues), "invalid query");
}

/** A field of a GET form (`?status=&q=`), checked by `schema` when given: an empty one means "not given". */
export function blankAsAbsent<S extends v.GenericSchema<string>>(schema: S) {
  return v.optional(v.pipe(v.string(), v.transform((value) => (value === "" ? undefined : value)), v.optional(schema)));
}
