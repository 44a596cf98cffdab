import type { Tenant } from "../db/schema";
import { AppError } from "../http/errors";

/**
 * Rule R, the one place that decides it, for every way of registering (a personal MyQ account, a sign-up
 * through a provider): the tenant must allow users to register, and its "new registered users are active
 * by default" says whether the new account is active at once or waits for an admin.
 */
export function admitRegistration(tenant: Tenant): { active: boolean } {
  if (!tenant.allowRegistration) {
    throw new AppError("registration_disabled", { detail: "This tenant does not allow people to register: ask its administrator for an account." });
  }
  return { active: tenant.newUsersActiveByDefault };
}
