import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { consolePath, type ConsoleContext } from "./env";

/** The console's session: only the opaque refresh token of a `printid-console` session (see session.ts). */
export const SESSION_COOKIE = "printid_console";
/** The sign-in form's double-submit token (no session exists yet to derive one from). */
export const SIGN_IN_CSRF_COOKIE = "printid_console_csrf";

/**
 * Cookies never leave the tenant's console path, are never readable by scripts, and are `Secure`
 * wherever the region is served over https (local `wrangler dev` on http://127.0.0.1 is not).
 */
function attributes(c: ConsoleContext, slug: string, extra: CookieOptions): CookieOptions {
  return {
    path: consolePath(slug),
    httpOnly: true,
    secure: c.var.config.origin.startsWith("https:"),
    ...extra,
  };
}

export function readCookie(c: ConsoleContext, name: string): string | undefined {
  return getCookie(c, name) || undefined;
}

export function writeCookie(c: ConsoleContext, slug: string, name: string, value: string, extra: CookieOptions): void {
  setCookie(c, name, value, attributes(c, slug, extra));
}

export function clearCookie(c: ConsoleContext, slug: string, name: string): void {
  deleteCookie(c, name, attributes(c, slug, { sameSite: "Lax" }));
}
