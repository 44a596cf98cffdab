import type { Role, Tenant, UserProfile } from "../db/schema";
import { AppError } from "../http/errors";
import { admitTenant } from "../tenants/admission";

/**
 * Rule P, as one pure check: may this user of this tenant act (and, with `role`, act as that role)?
 * Every path that issues tokens and every authenticated request goes through it.
 */
export function admit(tenant: Tenant, user: UserProfile, role?: Role): void {
  admitTenant(tenant);
  if (user.tenantId !== tenant.id) throw new AppError("unauthorized");
  if (!user.active) {
    throw new AppError("account_inactive", {
      detail: isPendingActivation(user)
        ? "The account awaits activation by an administrator"
        : "The account has been deactivated",
    });
  }
  if (role && !user.roles.includes(role)) throw new AppError("forbidden");
}

/** A user who was never active: a registration waiting for an admin. */
export function isPendingActivation(user: UserProfile): boolean {
  return !user.active && user.activatedAt === null;
}
