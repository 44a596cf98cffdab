import type { Context } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../http/context";
import { checkDoubleSubmit, CSRF_FIELD, doubleSubmitToken, type CsrfCookie } from "../http/csrf";
import { AppError } from "../http/errors";
import { tenantPath } from "./browser-session";

/** The hidden field that carries the authorization request through the hosted pages, as its query string. */
export const REQUEST_FIELD = "authorization";

/** A browser's form: `application/x-www-form-urlencoded`, as every HTML form without files is sent. */
export async function formParameters(c: Context<AppEnv>): Promise<URLSearchParams> {
  const type = c.req.header("Content-Type")?.split(";", 1)[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new AppError("unsupported_media_type", { detail: "Send the form as application/x-www-form-urlencoded." });
  }
  return new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
}

/** One field of a form; a field sent twice is no field (which one counts would be the sender's guess). */
export function field(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

/**
 * A field's JSON in `schema`'s shape (a passkey's credential, as the passkey script posts it), or undefined
 * when it is missing, not JSON or not that shape: each caller says so in its own words.
 */
export function jsonOf<T extends v.GenericSchema>(text: string | undefined, schema: T): v.InferOutput<T> | undefined {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(schema, value);
  return parsed.success ? parsed.output : undefined;
}

const csrfCookie = (slug: string): CsrfCookie => ({ name: "printid_hosted_csrf", path: tenantPath(slug) });

/** The hidden fields of every hosted form: its CSRF token and the authorization request it continues. */
export function hiddenFields(c: Context<AppEnv>, slug: string, request: URLSearchParams): Record<string, string> {
  return { [CSRF_FIELD]: doubleSubmitToken(c, csrfCookie(slug)), [REQUEST_FIELD]: request.toString() };
}

/** A hosted form's token must equal its cookie's (after hono's same-origin check). */
export function checkFormToken(c: Context<AppEnv>, slug: string, form: URLSearchParams): Promise<void> {
  return checkDoubleSubmit(c, csrfCookie(slug), field(form, CSRF_FIELD));
}
