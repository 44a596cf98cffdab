import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context";
import { passkeyScriptPath } from "./passkey-script";

/** What a page may do beyond showing itself and posting its forms here. */
interface PagePolicy {
  /** Where a form's answer may end besides this origin: the client's redirect target. */
  formTarget?: string;
  /** The passkey script (its URL) and the URLs it fetches options from. */
  passkey?: { script: string; fetches: string[] };
}

/**
 * Every hosted page: never cached (pages carry CSRF tokens and who is signed in), no script unless the
 * page offers passkeys, and then only the passkey script (exactly its path: a path source, CSP Level 3
 * §6.7.2.8) fetching only its options' paths; no style or frame from anywhere (the one stylesheet is
 * inline), framed by no one (clickjacking), and no referrer beyond this origin. Forms post to this
 * origin; a form whose answer redirects to the client (the sign-in that ends in `redirect_uri?code`) also
 * names that target, which browsers check against `form-action` (CSP Level 3 §6.4.3).
 */
function policy({ formTarget, passkey }: PagePolicy = {}): string {
  const targets = ["'self'", ...(formTarget ? [formTarget] : [])].join(" ");
  const script = passkey ? `; script-src ${passkey.script}${passkey.fetches.length > 0 ? `; connect-src ${passkey.fetches.join(" ")}` : ""}` : "";
  return `default-src 'none'${script}; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`;
}

/** `redirect_uri` as a CSP source: its origin, or for an app's private-use scheme the scheme alone. */
export function formTargetOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === "https:" || url.protocol === "http:" ? url.origin : url.protocol;
}

/**
 * What every hosted answer carries: a page's own policy (set by `allowFormTarget` or `allowPasskeyScript`)
 * and caching (the passkey script's) are kept; anything else is never cached.
 */
export function setHostedHeaders(headers: Headers): void {
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
  if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", policy());
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
}

export function hostedHeaders(): MiddlewareHandler<AppEnv> {
  return async function hostedHeaders(c, next) {
    await next();
    setHostedHeaders(c.res.headers);
  };
}

/** The passkey script of this tenant's pages, and the paths (of this origin) it may fetch, as CSP sources. */
function passkeySources(c: Context<AppEnv>, fetches: string[]): PagePolicy["passkey"] {
  const { origin } = new URL(c.req.url);
  return { script: origin + passkeyScriptPath(c.var.tenant.slug), fetches: fetches.map((path) => origin + path) };
}

/** A page whose forms may end at the client's `redirect_uri`; with `passkeyFetches`, one that runs the passkey script too. */
export function allowFormTarget(c: Context<AppEnv>, redirectUri: string, passkeyFetches?: string[]): void {
  c.header("Content-Security-Policy", policy({ formTarget: formTargetOf(redirectUri), passkey: passkeyFetches && passkeySources(c, passkeyFetches) }));
}

/** A page of this origin's forms only that runs the passkey script, which may fetch `fetches` (paths; none: its options are in the page). */
export function allowPasskeyScript(c: Context<AppEnv>, fetches: string[]): void {
  c.header("Content-Security-Policy", policy({ passkey: passkeySources(c, fetches) }));
}
