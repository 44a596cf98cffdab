import type { CookieOptions } from "hono/utils/cookie";
import { clearCookie as clear, writeCookie as write } from "../../http/cookies";
import { consolePath, type ConsoleContext } from "./env";

export { readCookie } from "../../http/cookies";

/** The console's session: only the opaque refresh token of a `printid-console` session (see session.ts). */
export const SESSION_COOKIE = "printid_console";
/** The sign-in form's double-submit token (no session exists yet to derive one from). */
export const SIGN_IN_CSRF_COOKIE = "printid_console_csrf";

/** The console's cookies never leave the tenant's console path. */
export function writeCookie(c: ConsoleContext, slug: string, name: string, value: string, extra: CookieOptions): void {
  write(c, consolePath(slug), name, value, extra);
}

export function clearCookie(c: ConsoleContext, slug: string, name: string): void {
  clear(c, consolePath(slug), name);
}
