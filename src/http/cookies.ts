import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { AppEnv } from "./context";

/**
 * The cookies of printid's pages (the admin console, the hosted sign-in): each kept under its own path,
 * never readable by scripts, and `Secure` wherever the region is served over https (local `wrangler dev`
 * on http://127.0.0.1 is not).
 */
function attributes(c: Context<AppEnv>, path: string, extra: CookieOptions): CookieOptions {
  return { path, httpOnly: true, secure: c.var.config.origin.startsWith("https:"), ...extra };
}

export function readCookie(c: Context<AppEnv>, name: string): string | undefined {
  return getCookie(c, name) || undefined;
}

export function writeCookie(c: Context<AppEnv>, path: string, name: string, value: string, extra: CookieOptions): void {
  setCookie(c, name, value, attributes(c, path, extra));
}

export function clearCookie(c: Context<AppEnv>, path: string, name: string): void {
  deleteCookie(c, name, attributes(c, path, { sameSite: "Lax" }));
}
