import type { Bindings } from "../config";
import { insertUser } from "../accounts/queries";
import type { Database } from "../db/client";
import { isUniqueViolation } from "../db/errors";
import type { Tenant, User } from "../db/schema";
import { hashPassword } from "../credentials/password";
import { AppError } from "../http/errors";
import { tenantDirectory } from "./directory";
import { findTenantBySlug, insertTenant } from "./queries";
import { settingsColumns, type TenantSettings } from "./settings";

export interface NewTenant {
  slug: string;
  displayName: string;
  settings: TenantSettings;
  admin: { username: string; email: string; password: string; firstName?: string; lastName?: string };
}

function tenantExists(slug: string, region: string): AppError {
  return new AppError("tenant_exists", {
    detail: `The name '${slug}' is taken by a tenant in region '${region}'`,
    extensions: { region },
  });
}

/**
 * Creates a tenant with its first admin. The name is claimed in the global directory first, so that no
 * two regions (nor two requests) can both create it; then the tenant and its admin are written in one
 * D1 batch, all or nothing. If that write fails, the claim is given back.
 */
export async function createTenant(
  env: Bindings,
  db: Database,
  region: string,
  input: NewTenant,
): Promise<{ tenant: Tenant; admin: User }> {
  if (await findTenantBySlug(db, input.slug)) throw tenantExists(input.slug, region);
  // Hash before claiming: the claim stays open for as short a time as possible.
  const passwordHash = await hashPassword(input.admin.password);

  const directory = tenantDirectory(env);
  const claim = await directory.claim(input.slug, region);
  if (!claim.claimed) throw tenantExists(input.slug, claim.region);

  const now = new Date();
  const tenant: Tenant = {
    id: crypto.randomUUID(),
    slug: input.slug,
    displayName: input.displayName,
    enabled: true,
    ...settingsColumns(input.settings),
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
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.batch([insertTenant(db, tenant), insertUser(db, admin)]);
  } catch (error) {
    // The tenant exists after all (an abandoned claim was taken over): the claim is rightly held.
    if (isUniqueViolation(error)) throw tenantExists(input.slug, region);
    await directory.release(input.slug, claim.token);
    throw error;
  }
  return { tenant, admin };
}
