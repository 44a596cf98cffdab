import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../http/errors";
import type { AppEnv } from "../http/context";
import { fieldErrors, validationFailed } from "../http/validation";
import { tenantDirectory } from "./directory";
import { findTenantBySlug } from "./queries";
import { SLUG_PATTERN, TenantSlug } from "./slug";

/** The `{tenant}` of the path, validated and lower-cased; `400 validation_failed` when malformed. */
export function tenantSlugOf(c: Context<AppEnv>): string {
  const raw = c.req.param("tenant") ?? "";
  // Every /t/ request passes here: the common, valid case costs one regex test, not a schema parse.
  const lowered = raw.trim().toLowerCase();
  if (SLUG_PATTERN.test(lowered)) return lowered;
  const slug = TenantSlug.safeParse(raw);
  if (!slug.success) {
    throw validationFailed(
      fieldErrors(slug.error).map((error) => ({ ...error, path: "tenant" })),
      "The tenant name is not valid",
    );
  }
  return slug.data;
}

/**
 * `404 tenant_not_found` for a name unknown in this region. Only this path asks the global directory,
 * to tell the client the tenant's home region when another region has it.
 */
export async function tenantNotFound(c: Context<AppEnv>, slug: string): Promise<AppError> {
  const home = await tenantDirectory(c.env).homeOf(slug);
  const elsewhere = home !== null && home !== c.var.config.region;
  return new AppError("tenant_not_found", {
    detail: elsewhere ? `Tenant '${slug}' lives in region '${home}'` : `There is no tenant '${slug}'`,
    extensions: elsewhere ? { region: home } : undefined,
  });
}

/**
 * Resolves `/t/{tenant}` once per request and publishes it as `c.var.tenant`: one D1 read for a known
 * tenant. Authenticated routes use `requireUser()` instead, which loads the tenant with the user.
 */
export function tenantRoute(): MiddlewareHandler<AppEnv> {
  return async function tenantRoute(c, next) {
    const slug = tenantSlugOf(c);
    const tenant = await findTenantBySlug(c.var.db, slug);
    if (!tenant) throw await tenantNotFound(c, slug);
    if (!tenant.enabled) throw new AppError("tenant_disabled");
    c.set("tenant", tenant);
    await next();
  };
}
