// Driving the console as a browser would, through HTTP: a small cookie jar (Path and Max-Age honoured,
// nothing else needed here), same-origin form posts, and the CSRF token read out of the page. Also what the
// console tests check around it: registrations, stored users and console sessions, the admin API's settings.
import { expect } from "vitest";
import { adminAuth } from "../support/admin";
import { eu, type Region } from "../support/regions";
import { registration } from "../support/users";

import { Browser } from "../support/browser";

export { Browser, parseSetCookie, setCookieOf, type SetCookie } from "../support/browser";

/** The CSRF token of the (first) form of a page. */
export function csrfOf(html: string): string {
  const token = /<input type="hidden" name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no CSRF field in:\n${html}`);
  return token;
}

/** The headers every console answer carries, page or refusal. */
export function expectSecurityHeaders(response: Response) {
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  expect(response.headers.get("Content-Security-Policy")).toBe(
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  expect(response.headers.get("Referrer-Policy")).toBe("same-origin");
}

/** Where a 303 points to, relative to the origin. */
export function locationOf(response: Response): string {
  expect(response.status).toBe(303);
  const location = response.headers.get("Location") ?? "";
  return location.startsWith("http") ? location.slice(new URL(location).origin.length) : location;
}

export const consoleOf = (tenant: string) => `/t/${tenant}/console`;

/** Opens the sign-in page and posts the credentials with its token: the sign-in POST's response. */
export async function consoleSignIn(browser: Browser, tenant: string, login: string, password: string): Promise<Response> {
  const page = await browser.get(`${consoleOf(tenant)}/sign-in`);
  expect(page.status).toBe(200);
  return browser.post(`${consoleOf(tenant)}/sign-in`, { csrf: csrfOf(await page.text()), login, password });
}

/** A browser signed in to `tenant`'s console (the sign-in must succeed). */
export async function signedInBrowser(tenant: string, login = "admin", password = "correct horse battery", region: Region = eu) {
  const browser = new Browser(region);
  const response = await consoleSignIn(browser, tenant, login, password);
  expect(locationOf(response)).toBe(`${consoleOf(tenant)}/users`);
  return browser;
}

/** The page at `path`, which must answer 200 HTML; with its CSRF token. */
export async function page(browser: Browser, path: string): Promise<{ html: string; csrf: string }> {
  const response = await browser.get(path);
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
  const html = await response.text();
  return { html, csrf: csrfOf(html) };
}

/** The login of every tenant's first admin (tenantBody in support/tenants.ts). */
export const ADMIN = "admin";

/** A registration through the public endpoint, as the app sends it. */
export function register(tenant: string, email: string) {
  return registration(eu, tenant, { email });
}

/** A registration that must wait for activation (202): the new user's id. */
export async function registeredPending(tenant: string, email: string): Promise<string> {
  const response = await register(tenant, email);
  expect(response.status).toBe(202);
  return ((await response.json()) as { user: { id: string } }).user.id;
}

/** Whether the user is active, and since when, as stored. */
export async function userRow(id: string) {
  return eu.db
    .prepare("SELECT active, activated_at FROM users WHERE id = ?")
    .bind(id)
    .first<{ active: number; activated_at: number | null }>();
}

/** The tenant's settings as the admin API answers them. */
export async function adminSettings(tenant: string) {
  const response = await eu.fetch(`/t/${tenant}/admin/settings`, { headers: await adminAuth(eu, tenant) });
  expect(response.status).toBe(200);
  return (await response.json()) as { allowRegistration: boolean; newUsersActiveByDefault: boolean; lockout: unknown };
}

/** The `printid-console` sessions of a user, as stored. */
export async function consoleSessions(userId: string) {
  const { results } = await eu.db
    .prepare("SELECT id, revoked_at FROM sessions WHERE user_id = ? AND client_id = 'printid-console'")
    .bind(userId)
    .all<{ id: string; revoked_at: number | null }>();
  return results;
}

/** The rows of an attempts table (the attempts page, a user's page): each cell's text by its column. */
export function attemptRows(html: string): Record<string, string>[] {
  return [...html.matchAll(/<tr><td data-label="Time">.*?<\/tr>/g)].map(
    (row) => Object.fromEntries([...row[0].matchAll(/<td data-label="([^"]+)"[^>]*>(.*?)<\/td>/g)].map((cell) => [cell[1], cell[2]!.replace(/<[^>]+>/g, "")])),
  );
}

/**
 * The fields the page's form at `action` sends as it stands (hidden and number inputs, ticked boxes): what a
 * browser posts when the admin changes nothing.
 */
export function formFieldsOf(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action}"[^>]*>(.*?)</form>`, "s").exec(html)?.[1];
  if (!form) throw new Error(`no form to ${action}`);
  const fields: Record<string, string> = {};
  for (const [input] of form.matchAll(/<input [^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(input)?.[1];
    if (!name) continue;
    if (/type="checkbox"/.test(input)) {
      if (/ checked=""/.test(input)) fields[name] = "on";
    } else if (/type="radio"/.test(input)) {
      // A browser sends the checked one of a group only.
      if (/ checked=""/.test(input)) fields[name] = /value="([^"]*)"/.exec(input)?.[1] ?? "";
    } else fields[name] = /value="([^"]*)"/.exec(input)?.[1] ?? "";
  }
  return fields;
}
