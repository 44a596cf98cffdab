import type { FactorType, Tenant, UserProfile } from "../db/schema";

/**
 * Rule M's policy, the one place that decides who owes a second factor: everyone when the tenant says
 * `all`, its admins when it says `admins`, and, unless it is `off`, anyone who enrolled a factor (a person
 * who set one up wants it asked). Someone who owes one and has none must enrol before any token.
 */
export function secondFactorOwed(tenant: Tenant, user: UserProfile, enrolled: readonly FactorType[]): boolean {
  const { mode } = tenant.mfa;
  if (mode === "off") return false;
  return mode === "all" || (mode === "admins" && user.roles.includes("admin")) || enrolled.length > 0;
}

/** Whether the person must keep at least one factor: removing the last is refused. */
export function factorRequired(tenant: Tenant, user: UserProfile): boolean {
  const { mode } = tenant.mfa;
  return mode === "all" || (mode === "admins" && user.roles.includes("admin"));
}
