import type { MiddlewareHandler } from "hono";
import { AppError } from "../http/errors";
import type { AppEnv } from "../http/context";
import { fieldErrors, validationFailed } from "../http/validation";
import { tenantDirectory } from "./directory";
import { findTenantBySlug } from "./queries";
import { TenantSlug } from "./slug";

/**
 * Resolves `/t/{tenant}` once per request and publishes it as `c.var.tenant`. A known tenant costs one D1
 * read; only a name unknown here asks the global directory, to tell the client its home region.
 */
export function tenantRoute(): MiddlewareHandler<AppEnv> {
  return async function tenantRoute(c, next) {
    const slug = TenantSlug.safeParse(c.req.param("tenant"));
    if (!slug.success) {
      throw validationFailed(
        fieldErrors(slug.error).map((error) => ({ ...error, path: "tenant" })),
        "The tenant name is not valid",
      );
    }

    const tenant = await findTenantBySlug(c.var.db, slug.data);
    if (!tenant) {
      const home = await tenantDirectory(c.env).homeOf(slug.data);
      const elsewhere = home !== null && home !== c.var.config.region;
      throw new AppError("tenant_not_found", {
        detail: elsewhere
          ? `Tenant '${slug.data}' lives in region '${home}'`
          : `There is no tenant '${slug.data}'`,
        extensions: elsewhere ? { region: home } : undefined,
      });
    }
    if (!tenant.enabled) throw new AppError("tenant_disabled");

    c.set("tenant", tenant);
    await next();
  };
}
