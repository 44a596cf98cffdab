import * as v from "valibot";
import {
  accountKinds,
  cardRuleNames,
  defaultMfaPolicy,
  defaultPanelPolicy,
  factorTypes,
  mfaModes,
  panelMethods,
  providerNames,
  unknownCardPolicies,
  type PanelPolicy,
  type Tenant,
  type TenantProviders,
} from "../db/schema";

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

/** RFC 8628's `expires_in`: how long a device's user code may be typed or scanned. */
const DeviceCodeSeconds = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(30),
  v.maxValue(1800),
  v.description("Seconds a device's user code (RFC 8628) may be approved, 30 to 1800"),
);

const PinPolicy = v.object({
  enabled: v.pipe(v.boolean(), v.description("Whether the tenant's people have PINs (`POST /me/pin`)")),
  minLength: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(4),
    v.maxValue(16),
    v.description("Digits of a new PIN at least; new PINs get longer as the tenant's PINs get dense"),
  ),
});

const CardRule = v.union([v.picklist(cardRuleNames), v.strictObject({ padStart: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)) })]);

const PanelPolicyFields = {
  pin: PinPolicy,
  methods: v.pipe(
    v.array(v.picklist(panelMethods)),
    v.transform((list) => [...new Set(list)]),
    v.description("What the tenant's panels offer: a PIN alone, an ID card"),
  ),
  cardNeedsPin: v.pipe(v.boolean(), v.description("A card signs in only with its holder's PIN as a second step")),
  unknownCard: v.pipe(
    v.picklist(unknownCardPolicies),
    v.description("A card nobody holds: refused, bound to the person who then types their PIN, or a new account (rule R)"),
  ),
  cardRules: v.pipe(
    v.array(CardRule),
    v.maxLength(10),
    v.description("How what the tenant's readers report becomes the number registered for the card, step by step (then trimmed, in upper case)"),
  ),
  sessionSeconds: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(30),
    v.maxValue(3600),
    v.description("Seconds a panel's session lasts (its access token; no refresh token)"),
  ),
};

/**
 * A PIN as a method or as a card's second step needs PINs to exist; an account a card registers has no
 * PIN yet, so cards that need one cannot register accounts.
 */
export function panelPolicyProblem(policy: PanelPolicy): string | undefined {
  if (!policy.pin.enabled && policy.methods.includes("pin")) return "Panels cannot offer PIN sign-in while PINs are disabled";
  if (!policy.pin.enabled && policy.cardNeedsPin) return "A card cannot need a PIN while PINs are disabled";
  if (policy.cardNeedsPin && policy.unknownCard === "register") return "A card that needs a PIN cannot register a new account, which has no PIN yet";
  if (!policy.pin.enabled && policy.unknownCard === "bind") return "An unknown card is bound by its holder's PIN: PINs must be enabled";
  return undefined;
}

const PanelPolicySchema = v.pipe(
  v.object(PanelPolicyFields),
  v.check((policy) => panelPolicyProblem(policy) === undefined, (issue) => panelPolicyProblem(issue.input as PanelPolicy) ?? "Inconsistent"),
  v.metadata({ ref: "PanelPolicy" }),
);

const PanelPolicyPatch = v.partial(v.strictObject({ ...PanelPolicyFields, pin: v.partial(v.strictObject(PinPolicy.entries)) }));
export type PanelPolicyPatch = v.InferOutput<typeof PanelPolicyPatch>;

/** The tenant's panel policy with a patch applied: the whole of it is checked again by the caller. */
export function patchedPanelPolicy(current: PanelPolicy, patch: PanelPolicyPatch): PanelPolicy {
  return { ...current, ...patch, pin: { ...current.pin, ...patch.pin } };
}

const MfaPolicyFields = {
  mode: v.pipe(
    v.picklist(mfaModes),
    v.description("Who owes a second factor: nobody (off), whoever enrolled one (optional), the tenant's admins, everyone (all)"),
  ),
  factors: v.pipe(
    v.array(v.picklist(factorTypes)),
    v.minLength(1),
    v.transform((list) => [...new Set(list)]),
    v.description("The factors people may enrol and use; recovery codes come with the first"),
  ),
  rememberDays: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(0),
    v.maxValue(90),
    v.description("Days a device that passed the second step may skip it (\"remember this device\"); 0 = never"),
  ),
  trustProviderMfa: v.pipe(v.boolean(), v.description("A provider's own multi-factor sign-in (its ID token's amr) counts as the second factor")),
};

const MfaPolicySchema = v.pipe(v.object(MfaPolicyFields), v.metadata({ ref: "MfaPolicy" }));

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
  deviceCodeSeconds: DeviceCodeSeconds,
  panel: PanelPolicySchema,
  mfa: MfaPolicySchema,
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
      deviceCodeSeconds: DeviceCodeSeconds,
      panel: PanelPolicyPatch,
      mfa: v.partial(v.strictObject(MfaPolicyFields)),
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
  deviceCodeSeconds: 120,
  panel: defaultPanelPolicy,
  mfa: defaultMfaPolicy,
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
    deviceCodeSeconds: tenant.deviceCodeSeconds,
    panel: tenant.panel,
    mfa: tenant.mfa,
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
    deviceCodeSeconds: settings.deviceCodeSeconds,
    panel: settings.panel,
    mfa: settings.mfa,
  };
}
