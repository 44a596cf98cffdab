// Driving the console as a browser would, through HTTP: a small cookie jar (Path and Max-Age honoured,
// nothing else needed here), same-origin form posts, and the CSRF token read out of the page. Also what the
// console tests check around it: registrations, stored users and console sessions, the admin API's settings.
import { expect } from "vitest";
import { adminAuth } from "../support/admin";
import { eu, type Region } from "../support/regions";
import { registration } from "../support/users";

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case; flags map to "". */
  attributes: Map<string, string>;
}

export function parseSetCookie(header: string): SetCookie {
  const [pair = "", ...rest] = header.split(";").map((part) => part.trim());
  const at = pair.indexOf("=");
  const attributes = new Map(
    rest.map((attribute) => {
      const eq = attribute.indexOf("=");
      return eq < 0 ? [attribute.toLowerCase(), ""] : [attribute.slice(0, eq).toLowerCase(), attribute.slice(eq + 1)];
    }),
  );
  return { name: pair.slice(0, at), value: decodeURIComponent(pair.slice(at + 1)), attributes };
}

/** The Set-Cookie of `name` in a response, if any. */
export function setCookieOf(response: Response, name: string): SetCookie | undefined {
  return response.headers.getSetCookie().map(parseSetCookie).find((cookie) => cookie.name === name);
}

export class Browser {
  /** name + path → cookie */
  readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  constructor(readonly region: Region = eu) {}

  cookie(name: string): string | undefined {
    return [...this.cookies.values()].find((cookie) => cookie.name === name)?.value;
  }

  /** Puts a cookie in the jar as if a server had set it (to replay one elsewhere). */
  plant(name: string, value: string, path: string): void {
    this.cookies.set(`${name};${path}`, { name, value, path });
  }

  private cookieHeader(path: string): string | undefined {
    const pathname = new URL(path, "https://x").pathname;
    const sent = [...this.cookies.values()].filter(
      (cookie) => pathname === cookie.path || pathname.startsWith(cookie.path.endsWith("/") ? cookie.path : `${cookie.path}/`),
    );
    return sent.length ? sent.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ") : undefined;
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(path);
    if (cookie && !headers.has("Cookie")) headers.set("Cookie", cookie);
    const response = await this.region.fetch(path, { ...init, headers, redirect: "manual" });
    for (const set of response.headers.getSetCookie().map(parseSetCookie)) {
      const cookiePath = set.attributes.get("path") ?? "/";
      const key = `${set.name};${cookiePath}`;
      if (set.attributes.get("max-age") === "0" || set.value === "") this.cookies.delete(key);
      else this.cookies.set(key, { name: set.name, value: set.value, path: cookiePath });
    }
    return response;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, { headers });
  }

  /** A form post as a browser sends it from a page of this origin (`Origin` set), unless told otherwise. */
  post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: this.region.origin, ...headers },
      body: new URLSearchParams(fields),
    });
  }
}

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
