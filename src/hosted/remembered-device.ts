import type { Context } from "hono";
import type { Tenant } from "../db/schema";
import type { AppEnv } from "../http/context";
import { readCookie, writeCookie } from "../http/cookies";
import { tenantPath } from "./browser-session";

/**
 * "Remember this device" on the hosted pages (factors/remembered.ts): the token a second step gave, kept
 * in a cookie of the tenant's path (HttpOnly, Secure on https, SameSite=Lax) for the tenant's
 * `rememberDays`, and handed back to the gate at the next sign-in on this browser. The token is checked
 * there on every use: a reset of the person's factors, or fewer days in the tenant's settings, end it.
 */
const COOKIE = "printid_remember";

const DAY_SECONDS = 86_400;

export function rememberedDeviceOf(c: Context<AppEnv>): string | undefined {
  return readCookie(c, COOKIE);
}

export function keepRememberedDevice(c: Context<AppEnv>, tenant: Tenant, token: string): void {
  writeCookie(c, tenantPath(tenant.slug), COOKIE, token, { sameSite: "Lax", maxAge: tenant.mfa.rememberDays * DAY_SECONDS });
}
