import type { MiddlewareHandler } from "hono";
import { secretsEqual } from "../../crypto/constant-time";
import { sha256 } from "../../crypto/secrets";
import type { AppEnv } from "../../http/context";
import { checkDoubleSubmit, CSRF_FIELD, CsrfRefused, doubleSubmitToken } from "../../http/csrf";
import { readCookie, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE } from "./cookies";
import { consolePath, type ConsoleContext } from "./env";
import { formFields } from "./forms";

export { CSRF_FIELD, CsrfRefused, sameOrigin } from "../../http/csrf";

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

const signInCookie = (slug: string) => ({ name: SIGN_IN_CSRF_COOKIE, path: consolePath(slug) });

/** The sign-in form's token: a double-submit cookie (no session exists yet to derive one from). */
export function signInCsrfToken(c: ConsoleContext, slug: string): string {
  return doubleSubmitToken(c, signInCookie(slug));
}

/** For the sign-in POST: the form's token must equal the cookie's. */
export async function checkSignInCsrf(c: ConsoleContext, slug: string): Promise<void> {
  await checkDoubleSubmit(c, signInCookie(slug), await fieldOf(c));
}
