import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, errorTitle, type ErrorCode } from "./errors";
import { OAuthError } from "./oauth-error";

/** Writes one RFC 9457 problem document. Every error answer of the API leaves through here. */
export function problemResponse(error: AppError): Response {
  const { code, status, options } = error;
  const body = {
    type: `urn:printid:error:${code}`,
    title: errorTitle[code],
    status,
    detail: options.detail ?? errorTitle[code],
    code,
    ...(options.errors ? { errors: options.errors } : {}),
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
  if (!code) return new AppError("internal_error", { internal: exception.message });
  return new AppError(code, { detail: code === "validation_failed" ? exception.message : undefined });
}

/**
 * `app.onError`: OAuth errors keep their RFC 6749 shape, expected errors become their problem, anything
 * else a bare 500, logged as one JSON line.
 */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof OAuthError) return err.toResponse();
  const error =
    err instanceof AppError ? err : err instanceof HTTPException ? fromHttpException(err) : undefined;
  if (error && error.status < 500) return problemResponse(error);

  console.error(
    JSON.stringify({
      level: "error",
      message: error?.options.internal ?? err.message,
      name: err.name,
      stack: err.stack,
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      code: error?.code ?? "internal_error",
    }),
  );
  return problemResponse(error ?? new AppError("internal_error"));
}

export function handleNotFound(): Response {
  return problemResponse(new AppError("not_found", { detail: "No route matches this method and path" }));
}
