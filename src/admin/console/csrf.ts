import type { MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { secretsEqual } from "../../crypto/constant-time";
import type { AppEnv } from "../../http/context";
import { randomSecret, sha256 } from "../../crypto/secrets";
import { readCookie, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, writeCookie } from "./cookies";
import type { ConsoleContext } from "./env";
import { formFields } from "./forms";

/**
 * Cross-site request forgery, refused twice over on every console form:
 * 1. the browser's own word: a form POST must come from this origin (`Origin`, or `Sec-Fetch-Site:
 *    same-origin`), checked by hono's `csrf()` before anything else runs;
 * 2. a synchronizer token in every form, which a page of another site cannot read: for a signed-in page
 *    it is derived from the session's secret, for the sign-in form it is a double-submit cookie.
 * A refusal answers 403 with a plain page (errors.tsx) and changes nothing.
 */
export class CsrfRefused extends Error {
  constructor(reason: string) {
    super(`CSRF check failed: ${reason}`);
    this.name = "CsrfRefused";
  }
}

/** The same-origin check (hono's `csrf()` throws a 403 HTTPException, rendered as the CSRF page). */
export const sameOrigin = (): MiddlewareHandler<AppEnv> =>
  csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin });

/** The name of the hidden field that carries the token in every console form. */
export const CSRF_FIELD = "csrf";

/**
 * A signed-in page's token: base64url(SHA-256(session secret + ":csrf")), so it needs no storage. Only for
 * requests that `requireConsoleAdmin()` let through, so the session cookie is there and live.
 */
export function sessionCsrfToken(c: ConsoleContext): Promise<string> {
  return sha256(`${readCookie(c, SESSION_COOKIE) ?? ""}:csrf`);
}

/** The form's token; a body that is no console form at all is refused by `formFields()` first (400). */
async function fieldOf(c: ConsoleContext): Promise<string> {
  return (await formFields(c))[CSRF_FIELD] ?? "";
}

/** For POSTs behind `requireConsoleAdmin()`: the form's token must be this session's. */
export function requireCsrfToken(): MiddlewareHandler<AppEnv> {
  return async function requireCsrfToken(c, next) {
    const presented = await fieldOf(c);
    if (!presented || !(await secretsEqual(presented, await sessionCsrfToken(c)))) throw new CsrfRefused("session token");
    await next();
  };
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The sign-in form's token: the value of the double-submit cookie, set now if there is none yet (kept if
 * there is, so that two open sign-in tabs both work).
 */
export function signInCsrfToken(c: ConsoleContext, slug: string): string {
  const current = readCookie(c, SIGN_IN_CSRF_COOKIE);
  if (current && TOKEN_SHAPE.test(current)) return current;
  const token = randomSecret();
  writeCookie(c, slug, SIGN_IN_CSRF_COOKIE, token, { sameSite: "Strict" });
  return token;
}

/** For the sign-in POST: the form's token must equal the cookie's. */
export async function checkSignInCsrf(c: ConsoleContext): Promise<void> {
  const cookie = readCookie(c, SIGN_IN_CSRF_COOKIE);
  const presented = await fieldOf(c);
  if (!cookie || !presented || !(await secretsEqual(presented, cookie))) throw new CsrfRefused("sign-in token");
}
