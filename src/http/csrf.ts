import type { Context, MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { secretsEqual } from "../crypto/constant-time";
import { randomSecret } from "../crypto/secrets";
import type { AppEnv } from "./context";
import { readCookie, writeCookie } from "./cookies";

/**
 * Cross-site request forgery, refused twice over on every form of printid's pages (the admin console,
 * the hosted sign-in):
 * 1. the browser's own word: a form POST must come from this origin (`Origin`, or `Sec-Fetch-Site:
 *    same-origin`), checked by hono's `csrf()` before anything else runs;
 * 2. a synchronizer token in every form, which a page of another site cannot read: derived from a
 *    session's secret where there is one, else a double-submit cookie.
 * A refusal changes nothing; each room renders it as a page of its own.
 */
export class CsrfRefused extends Error {
  constructor(reason: string) {
    super(`CSRF check failed: ${reason}`);
    this.name = "CsrfRefused";
  }
}

/** The same-origin check (hono's `csrf()` throws a 403 HTTPException). */
export const sameOrigin = (): MiddlewareHandler<AppEnv> => csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin });

/** The hidden field that carries the token in every form. */
export const CSRF_FIELD = "csrf";

/** Where a form's double-submit cookie lives: its name and path. */
export interface CsrfCookie {
  name: string;
  path: string;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * A form's token without a session: the value of the double-submit cookie, set now if there is none yet
 * (kept if there is, so that two open tabs both work). Strict: it is sent only from this site's pages.
 */
export function doubleSubmitToken(c: Context<AppEnv>, cookie: CsrfCookie): string {
  const current = readCookie(c, cookie.name);
  if (current && TOKEN_SHAPE.test(current)) return current;
  const token = randomSecret();
  writeCookie(c, cookie.path, cookie.name, token, { sameSite: "Strict" });
  return token;
}

/** The form's token (`presented`) must equal the double-submit cookie's. */
export async function checkDoubleSubmit(c: Context<AppEnv>, cookie: CsrfCookie, presented: string | undefined): Promise<void> {
  const expected = readCookie(c, cookie.name);
  if (!expected || !presented || !(await secretsEqual(presented, expected))) throw new CsrfRefused(`${cookie.name} token`);
}
