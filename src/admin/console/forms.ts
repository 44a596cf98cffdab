import type { z } from "zod";
import { fieldErrors, validationFailed } from "../../http/validation";
import type { ConsoleContext } from "./env";

/**
 * A console form (`application/x-www-form-urlencoded`), checked by its zod schema. When it does not
 * pass, `invalid()` answers (a page saying what to fix), or else `400 validation_failed`.
 */
export async function formOf<T extends z.ZodType>(
  c: ConsoleContext,
  schema: T,
  invalid?: () => Response | Promise<Response>,
): Promise<z.infer<T> | Response> {
  const parsed = schema.safeParse(await c.req.parseBody());
  if (parsed.success) return parsed.data;
  if (invalid) return invalid();
  throw validationFailed(fieldErrors(parsed.error), "The form is not valid");
}

/** A page's query string, checked by its zod schema: a bad one is `400 validation_failed` (a page). */
export function queryOf<T extends z.ZodType>(c: ConsoleContext, schema: T): z.infer<T> {
  const parsed = schema.safeParse(c.req.query());
  if (parsed.success) return parsed.data;
  throw validationFailed(fieldErrors(parsed.error), "The link is not valid");
}
