/**
 * The browser's session at the provider (issue 13 point 3): once a person has signed in on the hosted
 * page, another client of the tenant signs them in without typing again. It is an ordinary session of
 * the `printid-hosted` client, opened by the same sign-in paths as any other (rule L's lockout and
 * records, rule X, rule R), whose first refresh token is the cookie's only content; like every refresh
 * token it is stored nowhere. Rule P is checked again on every use: a deactivated person, a disabled
 * tenant, a revoked session or one past the tenant's time-outs is no session.
 */
import type { Context } from "hono";
import type { Tenant, UserProfile } from "../db/schema";
import type { AppEnv, Principal } from "../http/context";
import { clearCookie, readCookie, writeCookie } from "../http/cookies";
import { AppError } from "../http/errors";
import { admit } from "../policy/admission";
import { loadPrincipal } from "../policy/queries";
import { sessionLive } from "../policy/session-live";
import { peekRefreshToken, readRefreshToken } from "../tokens/refresh-token";
import { revokeSession } from "../tokens/sessions";

export const HOSTED_CLIENT_ID = "printid-hosted";

/** A person signs in again on the hosted page after this long, however often they come back. */
export const BROWSER_SESSION_SECONDS = 12 * 3600;

const COOKIE = "printid_session";

/** The cookie is the tenant's own: a session of one tenant is nobody in another. */
export const tenantPath = (slug: string) => `/t/${slug}`;

export interface BrowserSession {
  id: string;
  user: UserProfile;
  /** When the person signed in (OIDC `auth_time`). */
  authTime: Date;
  /** `password` or a provider name. */
  method: string;
  /** How the person authenticated (factors/amr.ts): codes issued from this session carry it. */
  amr: string[] | null;
}

/** The browser's live session at `tenant` (rule P), or undefined. */
export async function browserSessionOf(c: Context<AppEnv>, tenant: Tenant): Promise<BrowserSession | undefined> {
  const secret = readCookie(c, COOKIE);
  const named = secret && peekRefreshToken(secret);
  if (!named) return undefined;
  const now = new Date();
  const loaded = await loadPrincipal(c.var.db, tenant.slug, {
    ...named,
    clientId: HOSTED_CLIENT_ID,
    openedAfter: new Date(now.getTime() - BROWSER_SESSION_SECONDS * 1000),
    now,
  });
  const session = loaded?.session;
  const user = loaded?.user;
  if (!loaded || loaded.tenant.id !== tenant.id || !session || !user || !sessionLive(tenant, session, now)) return undefined;
  if (!(await readRefreshToken(await c.var.config.signingKeys(), tenant.id, secret))) return undefined;
  try {
    admit(tenant, user);
  } catch (refusal) {
    if (refusal instanceof AppError) return undefined;
    throw refusal;
  }
  return { id: session.id, user, authTime: session.createdAt, method: session.method, amr: session.amr };
}

/** The browser's session as the API's functions take a signed-in person (rule P was checked by `browserSessionOf`). */
export function principalOf(session: BrowserSession): Principal {
  return { user: session.user, sessionId: session.id, clientId: HOSTED_CLIENT_ID, identities: [] };
}

/** Gives the browser its session: the session's first refresh token. */
export function keepBrowserSession(c: Context<AppEnv>, tenant: Tenant, refreshToken: string): void {
  writeCookie(c, tenantPath(tenant.slug), COOKIE, refreshToken, { sameSite: "Lax", maxAge: BROWSER_SESSION_SECONDS });
}

/** Ends the browser's session, at the provider and in the browser. */
export async function endBrowserSession(c: Context<AppEnv>, tenant: Tenant, session: BrowserSession | undefined): Promise<void> {
  if (session) await revokeSession(c.var.db, session.id);
  clearCookie(c, tenantPath(tenant.slug), COOKIE);
}
