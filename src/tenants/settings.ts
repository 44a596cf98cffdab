import { z } from "@hono/zod-openapi";
import { accountKinds, providerNames, type Tenant, type TenantProviders } from "../db/schema";

const ProviderList = z.array(z.enum(providerNames)).transform((list) => [...new Set(list)]);

export const LockoutPolicy = z.object({
  maxAttempts: z.number().int().min(1).max(100),
  lockoutSeconds: z.number().int().min(1).max(86_400),
});

/**
 * How long a refresh token, once exchanged, may be presented again and still succeed: the retry of a
 * response the app never received (FAPI 2.0 asks that it succeed; Auth0 and Okta call it overlap).
 */
const RefreshTokenReuseSeconds = z.number().int().min(0).max(300).openapi({
  description: "Seconds a rotated refresh token still works (a retried, lost response); 0 = strict rotation",
});

/** A tenant's User management settings, as the admin API and the operator API read and write them. */
export const TenantSettings = z
  .object({
    allowRegistration: z.boolean(),
    newUsersActiveByDefault: z.boolean(),
    lockout: LockoutPolicy,
    providers: z.object({ work: ProviderList, personal: ProviderList }),
    refreshTokenReuseSeconds: RefreshTokenReuseSeconds,
  })
  .openapi("TenantSettings");
export type TenantSettings = z.infer<typeof TenantSettings>;

/** A partial change of the settings; unknown fields are refused rather than silently ignored. */
export const SettingsPatch = z
  .object({
    allowRegistration: z.boolean(),
    newUsersActiveByDefault: z.boolean(),
    lockout: LockoutPolicy.partial().strict(),
    providers: z.object({ work: ProviderList, personal: ProviderList }).partial().strict(),
    refreshTokenReuseSeconds: RefreshTokenReuseSeconds,
  })
  .partial()
  .strict()
  .openapi("TenantSettingsPatch");
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/**
 * A new tenant is closed to self-registration, and a registration it later allows waits for an admin
 * until the admin says otherwise (Keycloak's defaults too). Lockout: 5 failures lock for 15 minutes.
 */
export const defaultSettings: TenantSettings = {
  allowRegistration: false,
  newUsersActiveByDefault: false,
  lockout: { maxAttempts: 5, lockoutSeconds: 900 },
  providers: Object.fromEntries(accountKinds.map((kind) => [kind, [...providerNames]])) as TenantProviders,
  refreshTokenReuseSeconds: 30,
};

export function settingsOf(tenant: Tenant): TenantSettings {
  return {
    allowRegistration: tenant.allowRegistration,
    newUsersActiveByDefault: tenant.newUsersActiveByDefault,
    lockout: { maxAttempts: tenant.lockoutMaxAttempts, lockoutSeconds: tenant.lockoutSeconds },
    providers: tenant.providers,
    refreshTokenReuseSeconds: tenant.refreshReuseSeconds,
  };
}

/** The tenant columns that hold `settings`. */
export function settingsColumns(settings: TenantSettings) {
  return {
    allowRegistration: settings.allowRegistration,
    newUsersActiveByDefault: settings.newUsersActiveByDefault,
    lockoutMaxAttempts: settings.lockout.maxAttempts,
    lockoutSeconds: settings.lockout.lockoutSeconds,
    providers: settings.providers,
    refreshReuseSeconds: settings.refreshTokenReuseSeconds,
  };
}
