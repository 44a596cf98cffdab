import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isDatabaseUnavailable } from "../db/guard";
import { WriteRefused } from "../db/read-only";
import type { AppEnv } from "./context";
import { AppError, describe, type ErrorCode } from "./errors";
import { OAuthError, oauthResponse } from "./oauth-error";

/** Seconds a client should wait before retrying after `503 unavailable`. */
export const UNAVAILABLE_RETRY_SECONDS = 5;

/** Writes one RFC 9457 problem document. Every error answer of the API leaves through here. */
export function problemResponse(error: AppError): Response {
  const { code, status, options } = error;
  const body = {
    type: `urn:printid:error:${code}`,
    title: error.title,
    status,
    detail: describe(error),
    code,
    // The contract: every validation_failed says which field and why; a request that could not be read
    // at all names no field ("").
    ...(code === "validation_failed" ? { errors: options.errors?.length ? options.errors : [{ path: "", message: describe(error) }] } : {}),
    ...options.extensions,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/problem+json",
      "Cache-Control": "no-store",
      ...options.headers,
    },
  });
}

/** Hono's own exceptions (malformed JSON, media type gate, body limit) in the contract's terms. */
function fromHttpException(exception: HTTPException): AppError {
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: "validation_failed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    413: "payload_too_large",
    415: "unsupported_media_type",
  };
  const code = byStatus[exception.status];
  if (!code) return new AppError("internal_error", { internal: `HTTPException ${exception.status}` });
  // Hono's messages name the cause ("Malformed JSON in request body"), without echoing the input.
  const detail = code === "validation_failed" ? `The request could not be read: ${exception.message}.` : undefined;
  return new AppError(code, { detail, internal: exception.message });
}

/**
 * Any thrown value as the contract's error: expected errors as they are, Hono's in their terms, the
 * database being down or too slow as `503 unavailable` (rule H), and anything else as a bare 500.
 */
function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) return fromHttpException(err);
  const refused = writeRefusedIn(err);
  if (refused) {
    return new AppError("unavailable", {
      detail: refused.detail,
      headers: { "Retry-After": String(refused.retryAfterSeconds) },
      internal: "write refused: read-only database handle",
    });
  }
  if (isDatabaseUnavailable(err)) {
    return new AppError("unavailable", {
      detail: `The service is temporarily unavailable: try again in ${UNAVAILABLE_RETRY_SECONDS} seconds.`,
      headers: { "Retry-After": String(UNAVAILABLE_RETRY_SECONDS) },
      internal: reasonOf(err),
    });
  }
  return new AppError("internal_error", { internal: reasonOf(err) });
}

/** A refused write, as thrown or as the cause drizzle wraps a failed query's error around. */
function writeRefusedIn(err: unknown): WriteRefused | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof WriteRefused) return e;
  return undefined;
}

/**
 * What went wrong, for the log: the innermost cause's first line. drizzle's own message lists the SQL
 * and its parameters (e-mails, hashes), so it is never logged; D1's message (the cause) names only the
 * failure. Never a stack trace.
 */
function reasonOf(err: unknown): string {
  let innermost: unknown = err;
  while (innermost instanceof Error && innermost.cause instanceof Error) innermost = innermost.cause;
  const name = innermost instanceof Error ? innermost.name : typeof innermost;
  const message = innermost instanceof Error ? innermost.message : String(innermost);
  const line = message.split("\n", 1)[0]!.replace(/(Failed query|params):.*/i, "$1: …").slice(0, 300);
  return `${name}: ${line}`;
}

/**
 * Anything thrown, as the contract's error, logged: one JSON line per error answer, 4xx included, with
 * the request id the response also carries. Every exit (the API's, the console's pages, the redirect back
 * to an app) answers with what this returns.
 */
export function loggedError(c: Context<AppEnv>, thrown: unknown): AppError {
  const error = toAppError(thrown);
  logLine(c, error.status, error.code, error.options.internal ?? describe(error));
  return error;
}

function logLine(c: Context<AppEnv>, status: number, code: string, reason: string): void {
  const line = JSON.stringify({
    level: status >= 500 ? "error" : "info",
    requestId: c.var.requestId,
    method: c.req.method,
    // The route's pattern, not the raw path: it names no person, and groups alike failures.
    route: c.req.routePath,
    status,
    code,
    reason,
  });
  if (status >= 500) console.error(line);
  else console.log(line);
}

/**
 * `app.onError`, the one exit of every failure: picks the wire shape the route speaks (RFC 6749 on the
 * OAuth endpoints, problem+json elsewhere), logs the internal reason, and names the request.
 */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  const response =
    err instanceof OAuthError
      ? (logLine(c, err.status, err.error, err.description), err.toResponse())
      : respond(c, err);
  if (c.var.requestId) response.headers.set("X-Request-Id", c.var.requestId);
  return response;
}

function respond(c: Context<AppEnv>, thrown: Error): Response {
  const error = loggedError(c, thrown);
  return c.var.errorShape === "oauth" ? oauthResponse(error) : problemResponse(error);
}

export function handleNotFound(): Response {
  return problemResponse(new AppError("not_found", { detail: "No route matches this method and path." }));
}
