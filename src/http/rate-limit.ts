import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context";
import { AppError } from "./errors";

/**
 * Rule H: limits on the unauthenticated paths that cost work, through the Workers Rate Limiting binding
 * (wrangler.toml `[[env.*.ratelimits]]`; `wrangler dev` and the tests simulate it). Each limit counts one
 * client address (`CF-Connecting-IP`, set by Cloudflare, never by the client) within one tenant, so a
 * sprayer is slowed without one tenant's office NAT starving another tenant's users.
 */
export const rateLimits = {
  /** Paths that compute a password hash or verify a provider token: sign-in, registration, password change. */
  credentials: "CREDENTIALS_LIMIT",
  /** Paths that write a flow or exchange a code: provider authorize and callback, /token. */
  oauth: "OAUTH_LIMIT",
  /** Paths that send a message to whatever address is typed: a resent confirmation, a forgotten password. */
  mail: "MAIL_LIMIT",
  /** Answers for tenant names this region does not know, each a call to the global directory. */
  unknownTenant: "UNKNOWN_TENANT_LIMIT",
} as const;

export type RateLimitName = (typeof rateLimits)[keyof typeof rateLimits];

/** Every limit of wrangler.toml counts over 60 s; a refused client may try again after that. */
const PERIOD_SECONDS = 60;

/** Throws `429 rate_limited` once this client has used up `name` for `scope` in the current period. */
export async function enforceLimit(c: Context<AppEnv>, name: RateLimitName, scope: string): Promise<void> {
  const ip = c.req.header("CF-Connecting-IP") ?? "unknown";
  const { success } = await c.env[name].limit({ key: `${ip} ${scope}` });
  if (!success) {
    throw new AppError("rate_limited", {
      detail: `Too many requests from your network: try again in ${PERIOD_SECONDS} seconds.`,
      headers: { "Retry-After": String(PERIOD_SECONDS) },
      internal: `${name} exceeded`,
    });
  }
}

/** The limit `name`, per client and per the tenant the path names (or the path itself, without one). */
export function rateLimit(name: RateLimitName): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    await enforceLimit(c, name, c.req.param("tenant")?.toLowerCase() ?? c.req.routePath);
    await next();
  };
}
