import type { Context, MiddlewareHandler } from "hono";
import * as v from "valibot";
import { AppError } from "../http/errors";
import type { AppEnv } from "../http/context";
import { enforceLimit, rateLimits } from "../http/rate-limit";
import { fieldErrors, validationFailed } from "../http/validation";
import { admitTenant } from "./admission";
import { tenantDirectory } from "./directory";
import { findTenantBySlug } from "./queries";
import { SLUG_PATTERN, TenantSlug } from "./slug";

/** The `{tenant}` of the path, validated and lower-cased; `400 validation_failed` when malformed. */
export function tenantSlugOf(c: Context<AppEnv>): string {
  const raw = c.req.param("tenant") ?? "";
  // Every /t/ request passes here: the common, valid case costs one regex test, not a schema parse.
  const lowered = raw.trim().toLowerCase();
  if (SLUG_PATTERN.test(lowered)) return lowered;
  const slug = v.safeParse(TenantSlug, raw);
  if (!slug.success) {
    throw validationFailed(
      fieldErrors(slug.issues).map((error) => ({ ...error, path: "tenant" })),
      "The tenant name is not valid",
    );
  }
  return slug.output;
}

/**
 * Where the directory said unknown names live, remembered for a few seconds per isolate: a burst of
 * requests for one unknown name (an app retrying a typo, a scan) costs one call to the single global
 * Durable Object, not one each. Bounded, oldest forgotten first.
 */
const homes = new Map<string, { home: string | null; until: number }>();
const HOME_CACHE_MS = 10_000;
const HOME_CACHE_SIZE = 1_000;

async function homeOf(c: Context<AppEnv>, slug: string): Promise<string | null> {
  const cached = homes.get(slug);
  if (cached && cached.until > Date.now()) return cached.home;
  const home = await tenantDirectory(c.env).homeOf(slug);
  homes.delete(slug);
  if (homes.size >= HOME_CACHE_SIZE) homes.delete(homes.keys().next().value!);
  homes.set(slug, { home, until: Date.now() + HOME_CACHE_MS });
  return home;
}

/**
 * `404 tenant_not_found` for a name unknown in this region. Only this path asks the global directory,
 * to tell the client the tenant's home region when another region has it; it is rate-limited per client
 * (rule H), since a name nobody has costs the directory a call.
 */
export async function tenantNotFound(c: Context<AppEnv>, slug: string): Promise<AppError> {
  await enforceLimit(c, rateLimits.unknownTenant, "");
  const home = await homeOf(c, slug);
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
    admitTenant(tenant);
    c.set("tenant", tenant);
    await next();
  };
}
