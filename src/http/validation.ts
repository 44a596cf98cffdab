import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { uniqueSymbol, validator } from "hono-openapi";
import * as v from "valibot";
import { AppError, type FieldError } from "./errors";

/**
 * What a field's refusal says when its schema has no words of its own: a short sentence that names the
 * requirement and never echoes the value (valibot's default quotes it, and it may be a password).
 */
function defaultMessage(issue: v.BaseIssue<unknown>): string {
  const unit = typeof issue.input === "string" ? " characters" : Array.isArray(issue.input) ? " items" : "";
  switch (issue.type) {
    case "min_length":
      return issue.requirement === 1 && unit !== " items" ? "Must not be empty" : `At least ${issue.requirement}${unit}`;
    case "max_length":
      return `At most ${issue.requirement}${unit}`;
    case "min_value":
      return `At least ${issue.requirement}`;
    case "max_value":
      return `At most ${issue.requirement}`;
    case "integer":
      return "Must be a whole number";
    case "email":
      return "Not an e-mail address";
    case "url":
      return "Not a URL";
    case "uuid":
      return "Not a valid id";
    default:
      // A key a strict object does not know: valibot expects `never` there.
      if (issue.type === "strict_object" && issue.expected === "never") return "Not a field of this request";
      if (issue.kind === "schema") return issue.received === "undefined" ? "Required" : `Expected ${issue.expected}`;
      return "Not valid";
  }
}
v.setGlobalMessage(defaultMessage);

/** An issue as valibot reports it, or as Standard Schema passes it on (hono-openapi's validators). */
type Issue = { readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: unknown }> | undefined };

/** The dotted path of an issue (`admin.email`), from valibot's path items or Standard Schema's keys. */
function pathOf(issue: Issue): string {
  return (issue.path ?? []).map((item) => String(typeof item === "object" ? item.key : item)).join(".");
}

/** Schema issues as the contract's `errors: [{ path, message }]`. */
export function fieldErrors(issues: readonly Issue[]): FieldError[] {
  return issues.map((issue) => ({ path: pathOf(issue), message: issue.message }));
}

export function validationFailed(errors: FieldError[], detail = "Some fields are not valid"): AppError {
  return new AppError("validation_failed", { detail, errors });
}

/** The hook every validator shares: input that fails its schema is `400 validation_failed`. */
function rejectInvalidInput(result: { success: boolean; error?: readonly Issue[] }): void {
  if (!result.success) throw validationFailed(fieldErrors(result.error ?? []));
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** The media types of a form, as browsers and OAuth client libraries send one. */
export const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];

export function mediaTypeOf(c: Context): string {
  return (c.req.header("Content-Type") ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

export function isJson(c: Context): boolean {
  return JSON_MEDIA_TYPE.test(mediaTypeOf(c));
}

/**
 * A required JSON body: an object, checked by its schema (and documented from it). A body of another
 * type, or of none, is `415 unsupported_media_type`, and a JSON array `400`: read as `{}`, either would
 * pass a schema whose fields are all optional and change nothing while answering 200
 * (honojs/middleware#841; valibot's `object` takes an array for an object without fields).
 */
export function jsonBody<S extends v.GenericSchema>(schema: S) {
  const validate = validator("json", schema, rejectInvalidInput);
  const gate: typeof validate = async (c, next) => {
    if (!isJson(c)) throw new AppError("unsupported_media_type", { detail: "Send the body as application/json." });
    // hono keeps the parsed body: the validator reads it again without parsing twice.
    const body: unknown = await c.req.json().catch(() => {
      throw new HTTPException(400, { message: "Malformed JSON in request body" });
    });
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw validationFailed([{ path: "", message: "Expected a JSON object" }], "The body must be a JSON object");
    }
    return validate(c, next);
  };
  return documentedAs(gate, validate);
}

/**
 * A form body (Apple's form_post), checked by its schema and documented as a urlencoded form. A body of
 * another type would read as no fields: it is refused unread (415), as `jsonBody` refuses one.
 */
export function formBody<S extends v.GenericSchema>(schema: S) {
  const validate = validator("form", schema, rejectInvalidInput, { media: "application/x-www-form-urlencoded" });
  const gate: typeof validate = async (c, next) => {
    if (!FORM_TYPES.includes(mediaTypeOf(c))) {
      throw new AppError("unsupported_media_type", { detail: "Send the body as application/x-www-form-urlencoded." });
    }
    return validate(c, next);
  };
  return documentedAs(gate, validate);
}

/**
 * `middleware`, described in /openapi.json as `documented` is: hono-openapi finds a route's description
 * (its body, its parameters) by this property of its middleware, so a gate in front of a validator, or a
 * reader of its own, keeps the validator's description.
 */
// `any`: a middleware of any env, path and input types.
export function documentedAs<M extends MiddlewareHandler<any, any, any>>(middleware: M, documented: MiddlewareHandler<any, any, any>): M {
  return Object.assign(middleware, { [uniqueSymbol]: (documented as unknown as Record<symbol, unknown>)[uniqueSymbol] });
}

export const queryParams = <S extends v.GenericSchema>(schema: S) => validator("query", schema, rejectInvalidInput);

/** A route's `{id}`: a UUID, or `400 validation_failed`. */
export const IdPath = v.object({ id: v.pipe(v.string(), v.uuid()) });

export const pathParams = <S extends v.GenericSchema>(schema: S) => validator("param", schema, rejectInvalidInput);
