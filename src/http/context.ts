import type { Bindings, Config } from "../config";
import type { Database } from "../db/client";
import type { ProviderName, Tenant, UserProfile } from "../db/schema";
import { requestMeta, type RequestMeta } from "./request-meta";

/** The signed-in user of an authenticated request, as `requireUser()` found them. */
export interface Principal {
  user: UserProfile;
  sessionId: string;
  clientId: string;
  identities: ProviderName[];
}

/** The Hono environment every route shares: bindings, and the variables middleware publishes. */
export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    /** Names this request in its answer (`X-Request-Id`) and in every log line about it. */
    requestId: string;
    /** Set on the OAuth endpoints, whose errors are RFC 6749 documents rather than problem+json. */
    errorShape?: "oauth";
    config: Config;
    /** The database of the request's tenant: its shard, as the tenant middleware found it. */
    db: Database;
    /** Set by `tenantRoute()` or `requireUser()` on every `/t/{tenant}` route. */
    tenant: Tenant;
    /** Set by `requireUser()`. */
    principal: Principal;
  };
}

/** What the rooms' functions need of a request: its database, configuration, bindings and origin. */
export interface Scope {
  db: Database;
  config: Config;
  env: Bindings;
  /** Where the request comes from: a session opened by it records this (its IP and user agent). */
  meta: RequestMeta;
}

export function scopeOf(c: { var: { db: Database; config: Config }; env: Bindings; req: { raw: Request } }): Scope {
  return { db: c.var.db, config: c.var.config, env: c.env, meta: requestMeta(c.req.raw) };
}
