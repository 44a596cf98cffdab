import type { Context, MiddlewareHandler } from "hono";
import * as v from "valibot";
import { AppError } from "../http/errors";
import type { AppEnv } from "../http/context";
import { enforceLimit, rateLimits } from "../http/rate-limit";
import { fieldErrors, validationFailed } from "../http/validation";
import { admitTenant } from "./admission";
import { databaseOf, type Database } from "../db/client";
import type { Tenant } from "../db/schema";
import { homeOf } from "./homes";
import { servedHere, shardBinding, tenantDatabase } from "./shards";
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
 * `404 tenant_not_found` for a name this region does not serve, saying where it lives when another region
 * has it. Rate-limited per client (rule H): a name nobody has costs the global directory a call.
 */
async function tenantNotFound(c: Context<AppEnv>, slug: string): Promise<AppError> {
  await enforceLimit(c, rateLimits.unknownTenant, "");
  const { home } = await homeOf(c.env, slug);
  const elsewhere = home !== null && home.region !== c.var.config.region;
  return new AppError("tenant_not_found", {
    detail: elsewhere ? `Tenant '${slug}' lives in region '${home.region}'` : `There is no tenant '${slug}'`,
    extensions: elsewhere ? { region: home.region } : undefined,
  });
}

/**
 * Reads what a request needs of its tenant (`read`: the tenant row, alone or with rule P's session and
 * user) on the tenant's shard, and publishes that shard's handle as `c.var.db` for the rest of the
 * request: read-only while the tenant moves. With one shard there is nothing to look up; with several,
 * the directory says which (remembered per isolate), and a remembered answer that finds the tenant gone
 * (it moved) is asked again once. Throws `tenant_not_found` for a name this region does not serve.
 */
export async function onTenantShard<T extends { tenant: Tenant }>(
  c: Context<AppEnv>,
  slug: string,
  read: (db: Database) => Promise<T | undefined>,
): Promise<T> {
  const { config } = c.var;
  for (let fresh = false; ; fresh = true) {
    const { shard, remembered } = await shardOf(c, slug, fresh);
    if (shard === null) break;
    const d1 = shardBinding(config, shard);
    const found = await read(databaseOf(d1));
    if (found && servedHere(found.tenant)) {
      c.set("db", tenantDatabase(d1, found.tenant));
      return found;
    }
    if (!remembered) break;
  }
  throw await tenantNotFound(c, slug);
}

/** The tenant `slug` names, on its shard (whose handle becomes `c.var.db`); enabled or not. */
export async function tenantNamed(c: Context<AppEnv>, slug: string): Promise<Tenant> {
  const { tenant } = await onTenantShard(c, slug, async (db) => {
    const tenant = await findTenantBySlug(db, slug);
    return tenant && { tenant };
  });
  return tenant;
}

async function shardOf(c: Context<AppEnv>, slug: string, fresh: boolean): Promise<{ shard: number | null; remembered: boolean }> {
  const { config } = c.var;
  if (config.shards.length === 1) return { shard: 1, remembered: false };
  const { home, remembered } = await homeOf(c.env, slug, { fresh });
  return { shard: home?.region === config.region ? home.shard : null, remembered };
}

/**
 * Resolves `/t/{tenant}` once per request and publishes it as `c.var.tenant`, and its shard as
 * `c.var.db`: one D1 read for a known tenant. Authenticated routes use `requireUser()` instead, which loads the tenant with the user.
 */
export function tenantRoute(): MiddlewareHandler<AppEnv> {
  return async function tenantRoute(c, next) {
    const tenant = await tenantNamed(c, tenantSlugOf(c));
    admitTenant(tenant);
    c.set("tenant", tenant);
    await next();
  };
}
