import type { Context, MiddlewareHandler } from "hono";
import type { Role, Tenant } from "../db/schema";
import { bearerToken } from "../http/bearer";
import type { AppEnv, Principal } from "../http/context";
import { AppError } from "../http/errors";
import { mediaTypeOf } from "../http/validation";
import { admitTenant } from "../tenants/admission";
import { onTenantShard, tenantSlugOf } from "../tenants/middleware";
import { issuerOf, verifyAccessToken } from "../tokens/jwt";
import { admit } from "./admission";
import { loadPrincipal } from "./queries";
import { sessionLive } from "./session-live";

const REALM = 'Bearer realm="printid"';

/** RFC 6750 §3: 401 with the Bearer challenge; a request that sent no token gets no error code (§3.1). */
function unauthorized(detail: string, error?: "invalid_token"): AppError {
  return new AppError("unauthorized", {
    detail,
    headers: { "WWW-Authenticate": error ? `${REALM}, error="${error}"` : REALM },
  });
}

/** RFC 6750 §3.1: a request that is not well formed, such as one with its token twice, is 400 `invalid_request`. */
function malformed(message: string): AppError {
  return new AppError("validation_failed", {
    detail: message,
    errors: [{ path: "access_token", message }],
    headers: { "WWW-Authenticate": `${REALM}, error="invalid_request"` },
  });
}

/**
 * The access token of a request: in the `Authorization` header (RFC 6750 §2.1), and, where `formBody`
 * allows it (UserInfo), also as the `access_token` parameter of a POST's form-encoded body (§2.2), but
 * never both. Never from the query string (§2.3 is not offered: URLs end up in logs).
 */
async function presentedToken(c: Context<AppEnv>, formBody: boolean): Promise<string | undefined> {
  const authorization = c.req.header("Authorization");
  if (!formBody || c.req.method !== "POST" || mediaTypeOf(c) !== "application/x-www-form-urlencoded") {
    return bearerToken(authorization);
  }
  const { access_token: inBody } = await c.req.parseBody({ all: true });
  if (inBody === undefined) return bearerToken(authorization);
  if (typeof inBody !== "string") throw malformed("access_token is sent once, as text");
  if (authorization !== undefined) throw malformed("The access token is sent once: in the Authorization header or in the body, not both");
  return inBody;
}

export interface AdmittedBearer {
  tenant: Tenant;
  principal: Principal;
  /** The scope the access token was granted (RFC 9068 §2.2.3). */
  scope: string;
}

/**
 * Rule P for a bearer access token: the token is verified (signature, `iss` = this region's issuer for the
 * tenant in the path, `exp`) without I/O, then one D1 query confirms that the tenant exists and is
 * enabled, the session is live (not revoked, nor expired, nor past the tenant's time-outs) and belongs to
 * the token's `aud` (an app, or a device of the tenant), the user is active and holds `role`.
 */
export async function admitBearer(c: Context<AppEnv>, options: { role?: Role; formBody?: boolean } = {}): Promise<AdmittedBearer> {
  const slug = tenantSlugOf(c);
  const token = await presentedToken(c, options.formBody ?? false);
  if (!token) throw unauthorized("A bearer access token is required");

  const { config } = c.var;
  const claims = await verifyAccessToken(await config.signingKeys(), token, { issuer: issuerOf(config, { slug }) });
  if (!claims || claims.region !== config.region) throw unauthorized("The access token is not valid here", "invalid_token");

  const { tenant, session, user, identities } = await onTenantShard(c, slug, (db) => loadPrincipal(db, slug, claims));
  admitTenant(tenant);
  // A tenant deleted and created again under the same name is another tenant.
  if (claims.tid !== tenant.id) throw unauthorized("The access token belongs to another tenant", "invalid_token");
  if (!session || !user || !sessionLive(tenant, session, new Date())) {
    throw unauthorized("The session has ended", "invalid_token");
  }
  // `aud` is the client the session was opened for: a registered app, or one of the tenant's devices.
  if (session.clientId !== claims.aud) throw unauthorized("The access token is not valid here", "invalid_token");
  admit(tenant, user, options.role);
  return { tenant, principal: { user, sessionId: session.id, clientId: claims.aud, identities }, scope: claims.scope };
}

/** Rule P on every authenticated request of the API (admitBearer); publishes `c.var.tenant` and `c.var.principal`. */
export function requireUser(options: { role?: Role } = {}): MiddlewareHandler<AppEnv> {
  return async function requireUser(c, next) {
    const { tenant, principal } = await admitBearer(c, options);
    c.set("tenant", tenant);
    c.set("principal", principal);
    await next();
  };
}
