import type { Bindings, Config } from "../config";
import { insertUser } from "../accounts/queries";
import { databaseOf } from "../db/client";
import { isUniqueViolation } from "../db/errors";
import type { Tenant, User } from "../db/schema";
import { hashPassword } from "../credentials/password";
import { AppError } from "../http/errors";
import { ABANDONED_CLAIM_MS, tenantDirectory } from "./directory";
import { findTenantBySlug, insertTenant } from "./queries";
import { settingsColumns, type TenantSettings } from "./settings";
import { forgetHome } from "./homes";
import { roomiestShard, shardBinding } from "./shards";

export interface NewTenant {
  slug: string;
  displayName: string;
  settings: TenantSettings;
  /** The shard to live on; by default, the one with the most room. */
  shard?: number;
  admin: { username: string; email: string; password: string; firstName?: string; lastName?: string };
}

function tenantExists(slug: string, region: string): AppError {
  return new AppError("tenant_exists", {
    detail: `The name '${slug}' is taken by a tenant in region '${region}'`,
    extensions: { region },
  });
}

/** Whether any shard of the region has a row for `slug` (a tenant, or one moving between shards). */
async function onAnyShard(config: Config, slug: string): Promise<boolean> {
  const found = await Promise.all(config.shards.map((d1) => findTenantBySlug(databaseOf(d1), slug)));
  return found.some((tenant) => tenant !== undefined);
}

/**
 * Creates a tenant with its first admin, on the shard with the most room unless the operator names one.
 * The name is claimed in the global directory first, with its home (region and shard), so that no two
 * regions (nor two requests) can both create it; then the tenant and its admin are written in one D1
 * batch, all or nothing. If that write fails, the claim is given back.
 */
export async function createTenant(env: Bindings, config: Config, input: NewTenant): Promise<{ tenant: Tenant; admin: User; shard: number }> {
  const { region } = config;
  if (await onAnyShard(config, input.slug)) throw tenantExists(input.slug, region);
  const shard = input.shard ?? (await roomiestShard(config));
  const db = databaseOf(shardBinding(config, shard));
  // Hash before claiming: the claim stays open for as short a time as possible.
  const passwordHash = await hashPassword(input.admin.password);

  const directory = tenantDirectory(env);
  const claim = await directory.claim(input.slug, region, shard);
  if (!claim.claimed) {
    // Held by this region, yet on none of its shards: a creation under way, or an earlier one whose
    // outcome was unknown, which keeps the name until its claim is abandoned (see below).
    if (claim.region === region && !(await onAnyShard(config, input.slug))) throw creationUnsettled(input.slug, region);
    throw tenantExists(input.slug, claim.region);
  }
  // This isolate may remember the name as unknown: from now on the directory knows its home.
  forgetHome(env, input.slug);

  const now = new Date();
  const tenant: Tenant = {
    id: crypto.randomUUID(),
    slug: input.slug,
    displayName: input.displayName,
    enabled: true,
    ...settingsColumns(input.settings),
    moveState: null,
    movePeer: null,
    moveStartedAt: null,
    moveProgress: null,
    createdAt: now,
    updatedAt: now,
  };
  const admin: User = {
    id: crypto.randomUUID(),
    tenantId: tenant.id,
    username: input.admin.username,
    email: input.admin.email,
    emailVerified: false,
    firstName: input.admin.firstName ?? null,
    lastName: input.admin.lastName ?? null,
    kind: "work",
    active: true,
    activatedAt: now,
    roles: ["admin"],
    createdVia: "operator",
    passwordHash,
    failedSignIns: 0,
    lockedUntil: null,
    passwordChecksInFlight: 0,
    passwordChecksSince: null,
    mustChangePassword: false,
    lastSignInAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.batch([insertTenant(db, tenant), insertUser(db, admin)]);
  } catch (error) {
    // The tenant exists after all (an abandoned claim was taken over): the claim is rightly held.
    if (isUniqueViolation(error)) throw tenantExists(input.slug, region);
    // The claim is given back only when the tenant is certainly not written: a write that failed may
    // still have committed (D1 answered late, or the answer was lost). Unsure, the claim stays; this
    // region may take it over once abandoned.
    const written = await findTenantBySlug(db, input.slug).catch(() => "unknown" as const);
    if (written === undefined) await directory.release(input.slug, claim.token);
    else if (written !== "unknown" && written.id === tenant.id) return { tenant, admin, shard };
    throw error;
  }
  return { tenant, admin, shard };
}

function creationUnsettled(slug: string, region: string): AppError {
  return new AppError("tenant_exists", {
    detail:
      `The name '${slug}' is held by a creation in region '${region}' that has not finished. If it was yours and ` +
      `it failed, try again in ${ABANDONED_CLAIM_MS / 60_000} minutes.`,
    extensions: { region },
  });
}
