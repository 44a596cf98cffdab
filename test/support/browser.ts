// A browser as the page tests need one, through HTTP: a small cookie jar (Path and Max-Age honoured,
// nothing else needed here) and same-origin form posts. For the admin console and the hosted sign-in.
import { eu, type Region } from "./regions";

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

