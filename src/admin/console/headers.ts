import type { MiddlewareHandler } from "hono";

/**
 * Every console answer: never cached (pages show personal data and carry CSRF tokens), no script, style
 * or frame from anywhere (there is no script at all; the one stylesheet is inline), forms only to this
 * origin, and no referrer beyond it.
 */
const headers = {
  "Cache-Control": "no-store",
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
} as const;

export function securityHeaders(): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
