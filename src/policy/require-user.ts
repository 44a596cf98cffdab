import type { MiddlewareHandler } from "hono";
import type { Role } from "../db/schema";
import { bearerToken } from "../http/bearer";
import type { AppEnv } from "../http/context";
import { AppError } from "../http/errors";
import { admitTenant } from "../tenants/admission";
import { onTenantShard, tenantSlugOf } from "../tenants/middleware";
import { issuerOf, verifyAccessToken } from "../tokens/jwt";
import { admit } from "./admission";
import { loadPrincipal } from "./queries";

function unauthorized(detail: string, error = "invalid_token"): AppError {
  return new AppError("unauthorized", {
    detail,
    headers: { "WWW-Authenticate": `Bearer realm="printid", error="${error}"` },
  });
}

/**
 * Rule P on every authenticated request: the bearer token is verified (signature, `iss` = this region's
 * issuer for the tenant in the path, `aud`, `exp`) without I/O, then one D1 query confirms that the
 * tenant exists and is enabled, the session is live, the user is active and holds `role`. Publishes
 * `c.var.tenant` and `c.var.principal`.
 */
export function requireUser(options: { role?: Role } = {}): MiddlewareHandler<AppEnv> {
  return async function requireUser(c, next) {
    const slug = tenantSlugOf(c);
    const token = bearerToken(c.req.header("Authorization"));
    if (!token) throw unauthorized("A bearer access token is required", "invalid_request");

    const { config } = c.var;
    const claims = await verifyAccessToken(await config.signingKeys(), token, {
      issuer: issuerOf(config, { slug }),
      audiences: [...config.clients.keys()],
    });
    if (!claims || claims.region !== config.region) throw unauthorized("The access token is not valid here");

    const { tenant, session, user, identities } = await onTenantShard(c, slug, (db) => loadPrincipal(db, slug, claims));
    admitTenant(tenant);
    // A tenant deleted and created again under the same name is another tenant.
    if (claims.tid !== tenant.id) throw unauthorized("The access token belongs to another tenant");
    if (!session || !user || session.revokedAt !== null || session.expiresAt.getTime() <= Date.now()) {
      throw unauthorized("The session has ended");
    }
    admit(tenant, user, options.role);

    c.set("tenant", tenant);
    c.set("principal", { user, sessionId: session.id, clientId: claims.aud, identities });
    await next();
  };
}
