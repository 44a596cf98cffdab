import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context";

/**
 * Every hosted page: never cached (pages carry CSRF tokens and who is signed in), no script at all, no
 * style or frame from anywhere (the one stylesheet is inline), framed by no one (clickjacking), and no
 * referrer beyond this origin. Forms post to this origin; a form whose answer redirects to the client
 * (the sign-in that ends in `redirect_uri?code`) also names that target, which browsers check against
 * `form-action` (CSP Level 3 §6.4.3).
 */
function policy(formTarget?: string): string {
  const targets = ["'self'", ...(formTarget ? [formTarget] : [])].join(" ");
  return `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`;
}

/** `redirect_uri` as a CSP source: its origin, or for an app's private-use scheme the scheme alone. */
export function formTargetOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === "https:" || url.protocol === "http:" ? url.origin : url.protocol;
}

/** What every hosted answer carries (a page's own `form-action`, set by `allowFormTarget`, is kept). */
export function setHostedHeaders(headers: Headers): void {
  headers.set("Cache-Control", "no-store");
  if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", policy());
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
}

export function hostedHeaders(): MiddlewareHandler<AppEnv> {
  return async function hostedHeaders(c, next) {
    await next();
    setHostedHeaders(c.res.headers);
  };
}

/** A page whose forms may end at the client's `redirect_uri`. */
export function allowFormTarget(c: Context<AppEnv>, redirectUri: string): void {
  c.header("Content-Security-Policy", policy(formTargetOf(redirectUri)));
}
