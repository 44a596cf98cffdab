import type { Tenant } from "../db/schema";
import { AppError } from "../http/errors";

/**
 * Rule P for the tenant itself, the one place that decides it: a tenant of this region that its operator
 * has not disabled. Every path (public routes, signed-in requests, the console, a provider's callback,
 * every token issued) asks here.
 */
export function admitTenant(tenant: Tenant): void {
  if (!tenant.enabled) throw new AppError("tenant_disabled", { detail: "This tenant is disabled: contact its administrator." });
}
