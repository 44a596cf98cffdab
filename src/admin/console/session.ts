import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../http/context";
import { AppError } from "../../http/errors";
import { admit } from "../../policy/admission";
import { passedSecondStep } from "../../factors/amr";
import { factorRequired } from "../../factors/policy";
import { loadPrincipal } from "../../policy/queries";
import { sessionLive } from "../../policy/session-live";
import { admitTenant } from "../../tenants/admission";
import { onTenantShard, tenantSlugOf } from "../../tenants/middleware";
import { peekRefreshToken, readRefreshToken } from "../../tokens/refresh-token";
import { revokeSession } from "../../tokens/sessions";
import { clearCookie, readCookie, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, writeCookie } from "./cookies";
import { consolePath, type ConsoleContext } from "./env";
import { renderSignIn } from "./sign-in-page";

/**
 * The console's session is an ordinary session, opened by the MyQ password sign-in for this client id
 * (so lockout, attempt records and account checks are the API's own). The browser holds only the
 * session's refresh token (its first generation), which the console never rotates nor hands to /token
 * (not a registered client there); like every refresh token, it is stored nowhere (tokens/refresh-token.ts).
 */
export const CONSOLE_CLIENT_ID = "printid-console";

/** An admin signs in again after this long, however busy: shorter than the API's 30-day sessions. */
export const CONSOLE_SESSION_SECONDS = 12 * 3600;

export const NOT_AN_ADMIN = "The console is for administrators.";

/** Gives the browser the session's secret; the sign-in form's CSRF cookie has done its job. */
export function startConsoleSession(c: ConsoleContext, slug: string, refreshToken: string): void {
  writeCookie(c, slug, SESSION_COOKIE, refreshToken, { sameSite: "Lax", maxAge: CONSOLE_SESSION_SECONDS });
  clearCookie(c, slug, SIGN_IN_CSRF_COOKIE);
}

export function clearConsoleSession(c: ConsoleContext, slug: string): void {
  clearCookie(c, slug, SESSION_COOKIE);
}

/**
 * Every signed-in console page: the cookie's session must be live in this tenant and its user an active
 * admin of it, checked again on every request (a deactivated or demoted admin is out at the next click).
 * No or a dead session: 303 to the sign-in page. A user who may not use the console: the session ends and
 * the sign-in page says why. Publishes `tenant` and `principal`.
 */
export function requireConsoleAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireConsoleAdmin(c, next) {
    const slug = tenantSlugOf(c);
    const signInPage = `${consolePath(slug)}/sign-in`;
    const secret = readCookie(c, SESSION_COOKIE);
    if (!secret) return c.redirect(signInPage, 303);

    const now = new Date();
    // A cookie that is no token names no session: the tenant is still looked up, for its own answer.
    const named = peekRefreshToken(secret) ?? { sessionId: "", generation: -1 };
    const key = { ...named, clientId: CONSOLE_CLIENT_ID, openedAfter: new Date(now.getTime() - CONSOLE_SESSION_SECONDS * 1000), now };
    const { tenant, session, user, identities } = await onTenantShard(c, slug, (db) => loadPrincipal(db, slug, key));
    admitTenant(tenant);
    const live = session && user && sessionLive(tenant, session, now);
    if (!live || !(await readRefreshToken(await c.var.config.signingKeys(), tenant.id, secret))) {
      clearConsoleSession(c, slug);
      return c.redirect(signInPage, 303);
    }
    try {
      admit(tenant, user, "admin");
    } catch (refusal) {
      if (!(refusal instanceof AppError)) throw refusal;
      await revokeSession(c.var.db, session.id);
      clearConsoleSession(c, slug);
      return renderSignIn(c, tenant, {
        status: 403,
        error: refusal.code === "forbidden" ? NOT_AN_ADMIN : (refusal.options.detail ?? "The account is not active."),
      });
    }

    // Rule M: a console session opened before the tenant required a second factor of its admin ends:
    // they sign in again, through the second step (as a refresh of such a session is refused).
    if (factorRequired(tenant, user) && !passedSecondStep(session.amr)) {
      clearConsoleSession(c, slug);
      return c.redirect(signInPage, 303);
    }

    c.set("tenant", tenant);
    c.set("principal", { user, sessionId: session.id, clientId: CONSOLE_CLIENT_ID, identities });
    await next();
  };
}
