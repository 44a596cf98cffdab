import * as v from "valibot";
import { accountKinds, providerNames, type Tenant, type TenantProviders } from "../db/schema";

const ProviderList = v.pipe(v.array(v.picklist(providerNames)), v.transform((list) => [...new Set(list)]));

const Providers = v.object({ work: ProviderList, personal: ProviderList });

export const LockoutPolicy = v.object({
  maxAttempts: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)),
  lockoutSeconds: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86_400)),
});

/**
 * How long a refresh token, once exchanged, may be presented again and still succeed: the retry of a
 * response the app never received (FAPI 2.0 asks that it succeed; Auth0 and Okta call it overlap).
 */
const RefreshTokenReuseSeconds = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(0),
  v.maxValue(300),
  v.description("Seconds a rotated refresh token still works (a retried, lost response); 0 = strict rotation"),
);

/** How long sign-in attempts are kept for the admin's audit (rule L's record), then removed. */
const SignInAttemptRetentionDays = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(1),
  v.maxValue(3650),
  v.description("Days a sign-in attempt is kept for the audit before the daily clean-up removes it"),
);

/**
 * How many sign-in attempts the tenant keeps at most, whatever their age: a tenant signing in at a
 * flood's rate (or under attack) cannot fill its shard within its retention.
 */
const SignInAttemptCap = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(1_000),
  v.maxValue(100_000_000),
  v.description("Sign-in attempts kept for the audit at most; the daily clean-up archives and removes the oldest beyond it"),
);

/** How long a session lives after its sign-in, however busy: the person signs in again after it. */
const SessionMaxSeconds = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(3600),
  v.maxValue(365 * 86_400),
  v.description("Seconds a session lives after its sign-in, however often it is used (1 hour to 365 days)"),
);

/**
 * How long a session may go unused before it ends. Use is measured by refreshes (access tokens live 10
 * minutes, and rule P's check of each request is one read that writes nothing), so a value under about
 * 10 minutes ends sessions between two refreshes of an app in use.
 */
const SessionIdleSeconds = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(0),
  v.maxValue(90 * 86_400),
  v.description("Seconds a session may go without a refresh before it ends (up to 90 days); 0 = no idle time-out"),
);

/** "E-mail confirmation required for login": a self-registered account gets no tokens until its address is proven. */
const EmailConfirmationRequired = v.pipe(
  v.boolean(),
  v.description("A self-registered account gets no tokens until its e-mail address is confirmed"),
);

const Settings = v.object({
  allowRegistration: v.boolean(),
  newUsersActiveByDefault: v.boolean(),
  lockout: LockoutPolicy,
  providers: Providers,
  refreshTokenReuseSeconds: RefreshTokenReuseSeconds,
  signInAttemptRetentionDays: SignInAttemptRetentionDays,
  signInAttemptCap: SignInAttemptCap,
  emailConfirmationRequired: EmailConfirmationRequired,
  sessionMaxSeconds: SessionMaxSeconds,
  sessionIdleSeconds: SessionIdleSeconds,
});

/** A tenant's User management settings, as the admin API and the operator API read and write them. */
export const TenantSettings = v.pipe(Settings, v.metadata({ ref: "TenantSettings" }));
export type TenantSettings = v.InferOutput<typeof TenantSettings>;

/** The settings an operator gives a new tenant: any of them, each whole; `defaultSettings` for the rest. */
export const NewTenantSettings = v.partial(Settings);

/** A partial change of the settings; unknown fields are refused rather than silently ignored. */
export const SettingsPatch = v.pipe(
  v.partial(
    v.strictObject({
      allowRegistration: v.boolean(),
      newUsersActiveByDefault: v.boolean(),
      lockout: v.partial(v.strictObject(LockoutPolicy.entries)),
      providers: v.partial(v.strictObject(Providers.entries)),
      refreshTokenReuseSeconds: RefreshTokenReuseSeconds,
      signInAttemptRetentionDays: SignInAttemptRetentionDays,
      signInAttemptCap: SignInAttemptCap,
      emailConfirmationRequired: EmailConfirmationRequired,
      sessionMaxSeconds: SessionMaxSeconds,
      sessionIdleSeconds: SessionIdleSeconds,
    }),
  ),
  v.metadata({ ref: "TenantSettingsPatch" }),
);
export type SettingsPatch = v.InferOutput<typeof SettingsPatch>;

/**
 * A new tenant is closed to self-registration, and a registration it later allows waits for an admin
 * until the admin says otherwise (Keycloak's defaults too). Lockout: 5 failures lock for 15 minutes.
 * Sessions last 30 days from sign-in with no idle time-out (an app used monthly stays signed in); no
 * e-mail confirmation until the admin asks for it.
 */
export const defaultSettings: TenantSettings = {
  allowRegistration: false,
  newUsersActiveByDefault: false,
  lockout: { maxAttempts: 5, lockoutSeconds: 900 },
  providers: Object.fromEntries(accountKinds.map((kind) => [kind, [...providerNames]])) as TenantProviders,
  refreshTokenReuseSeconds: 30,
  signInAttemptRetentionDays: 90,
  signInAttemptCap: 1_000_000,
  emailConfirmationRequired: false,
  sessionMaxSeconds: 30 * 86_400,
  sessionIdleSeconds: 0,
};

export function settingsOf(tenant: Tenant): TenantSettings {
  return {
    allowRegistration: tenant.allowRegistration,
    newUsersActiveByDefault: tenant.newUsersActiveByDefault,
    lockout: { maxAttempts: tenant.lockoutMaxAttempts, lockoutSeconds: tenant.lockoutSeconds },
    providers: tenant.providers,
    refreshTokenReuseSeconds: tenant.refreshReuseSeconds,
    signInAttemptRetentionDays: tenant.attemptRetentionDays,
    signInAttemptCap: tenant.attemptCap,
    emailConfirmationRequired: tenant.emailConfirmationRequired,
    sessionMaxSeconds: tenant.sessionMaxSeconds,
    sessionIdleSeconds: tenant.sessionIdleSeconds,
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
    attemptRetentionDays: settings.signInAttemptRetentionDays,
    attemptCap: settings.signInAttemptCap,
    emailConfirmationRequired: settings.emailConfirmationRequired,
    sessionMaxSeconds: settings.sessionMaxSeconds,
    sessionIdleSeconds: settings.sessionIdleSeconds,
  };
}
