/**
 * The only schema of a regional D1 database. `migrations/` is generated from this file by drizzle-kit;
 * docs/storage.md describes each table. Times are epoch milliseconds.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const providerNames = ["apple", "google", "microsoft"] as const;
export type ProviderName = (typeof providerNames)[number];

export const accountKinds = ["work", "personal"] as const;
export type AccountKind = (typeof accountKinds)[number];

export const roleNames = ["admin"] as const;
export type Role = (typeof roleNames)[number];

/** How a user came to exist. */
export const userOrigins = ["operator", "admin", "registration", "card", ...providerNames] as const;
export type UserOrigin = (typeof userOrigins)[number];

/** Which external providers a tenant offers for each kind of account (MyQ credentials are always offered). */
export type TenantProviders = Record<AccountKind, ProviderName[]>;

/** How a person signs in at a printer's panel: a PIN alone, or an ID card swiped on its reader. */
export const panelMethods = ["pin", "card"] as const;
export type PanelMethod = (typeof panelMethods)[number];

/** What a panel does with a card nobody holds: refuse it, bind it to the person who then signs in with a PIN, or register a new account. */
export const unknownCardPolicies = ["refuse", "bind", "register"] as const;

/**
 * How a tenant's readers report a card, step by step, before it is looked up (panel/card-numbers.ts):
 * readers of different makes report the same card differently.
 */
export const cardRuleNames = ["trim", "uppercase", "hexToDecimal", "reverseBytes", "stripLeadingZeros"] as const;
export type CardRule = (typeof cardRuleNames)[number] | { padStart: number };

/** The tenant's policy for sign-in at its printers (issue 15; tenants/settings.ts validates it). */
export interface PanelPolicy {
  /** Whether its people have PINs at all, and how many digits a new PIN has at least (it grows with density). */
  pin: { enabled: boolean; minLength: number };
  /** Which methods its panels offer. */
  methods: PanelMethod[];
  /** A card opens a session only with its holder's PIN as a second step. */
  cardNeedsPin: boolean;
  unknownCard: (typeof unknownCardPolicies)[number];
  cardRules: CardRule[];
  /** How long a panel's session lasts: the access token's life, with no refresh token. */
  sessionSeconds: number;
}

/** The second factors a person may enrol (issue 16); recovery codes come with the first of them. */
export const factorTypes = ["totp", "email", "passkey"] as const;
export type FactorType = (typeof factorTypes)[number];

/** Who owes a second factor: nobody, whoever enrolled one, the tenant's admins, everyone. */
export const mfaModes = ["off", "optional", "admins", "all"] as const;

/** The tenant's second-factor policy (issue 16, rule M; tenants/settings.ts validates it). */
export interface MfaPolicy {
  mode: (typeof mfaModes)[number];
  /** The factors its people may enrol and use. */
  factors: FactorType[];
  /** Days a browser or app that passed the second step may skip it ("remember this device"); 0 = never. */
  rememberDays: number;
  /** Whether a provider's own multi-factor sign-in (its ID token's `amr` says `mfa`) counts as the second factor. */
  trustProviderMfa: boolean;
}

export const defaultMfaPolicy: MfaPolicy = { mode: "optional", factors: ["totp", "email", "passkey"], rememberDays: 30, trustProviderMfa: false };

export const defaultPanelPolicy: PanelPolicy = {
  pin: { enabled: true, minLength: 6 },
  methods: ["pin", "card"],
  cardNeedsPin: false,
  unknownCard: "refuse",
  cardRules: ["trim", "uppercase"],
  sessionSeconds: 300,
};

const createdAt = () => integer("created_at", { mode: "timestamp_ms" }).notNull();

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  /** Lower-case; unique here and, through the tenant directory, across regions. */
  slug: text("slug").notNull().unique(),
  displayName: text("display_name").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  allowRegistration: integer("allow_registration", { mode: "boolean" }).notNull().default(false),
  newUsersActiveByDefault: integer("new_users_active_by_default", { mode: "boolean" })
    .notNull()
    .default(false),
  lockoutMaxAttempts: integer("lockout_max_attempts").notNull().default(5),
  lockoutSeconds: integer("lockout_seconds").notNull().default(900),
  /** How long a rotated refresh token may be presented again (a lost response retried); 0 = strict. */
  refreshReuseSeconds: integer("refresh_reuse_seconds").notNull().default(30),
  /** How long the tenant's sign-in attempts are kept (rule L's record) before the clean-up removes them. */
  attemptRetentionDays: integer("attempt_retention_days").notNull().default(90),
  /** How many of the tenant's sign-in attempts are kept at most: the clean-up archives and removes the oldest beyond. */
  attemptCap: integer("attempt_cap").notNull().default(1_000_000),
  /** "E-mail confirmation required for login": a self-registered account gets no tokens until its address is proven. */
  emailConfirmationRequired: integer("email_confirmation_required", { mode: "boolean" }).notNull().default(false),
  /** A session ends this long after its sign-in, however busy (rule P and refresh). */
  sessionMaxSeconds: integer("session_max_seconds").notNull().default(30 * 24 * 3600),
  /** How long a device's user code lives (RFC 8628 `expires_in`). */
  deviceCodeSeconds: integer("device_code_seconds").notNull().default(120),
  /** A session unused this long ends (rule P and refresh); 0 = no idle time-out. */
  sessionIdleSeconds: integer("session_idle_seconds").notNull().default(0),
  providers: text("providers", { mode: "json" }).$type<TenantProviders>().notNull(),
  /** Sign-in at the tenant's printers: PINs, cards, what its panels offer. */
  panel: text("panel", { mode: "json" }).$type<PanelPolicy>().notNull().default(defaultPanelPolicy),
  /** Second factors: who owes one, which are allowed, how long a device is remembered. */
  mfa: text("mfa", { mode: "json" }).$type<MfaPolicy>().notNull().default(defaultMfaPolicy),
  /**
   * A move between shards of the region (tenants/move.ts), null otherwise: on the shard it leaves, the
   * tenant is read-only (`leaving`) and then gone (`left`); on the shard it goes to, its copy is not
   * served until every row has arrived (`arriving`).
   */
  moveState: text("move_state", { enum: ["leaving", "arriving", "left"] }),
  /** The shard at the other end of the move. */
  movePeer: integer("move_peer"),
  /** When the tenant became read-only: the move copies once requests begun before then have finished. */
  moveStartedAt: integer("move_started_at", { mode: "timestamp_ms" }),
  /** On the arriving copy: how far each table has been copied, written in the batch of each copied chunk. */
  moveProgress: text("move_progress", { mode: "json" }).$type<Record<string, unknown[] | "done">>(),
  createdAt: createdAt(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    username: text("username").notNull(),
    /** A valid address, or null. Unique per tenant in any case. */
    email: text("email"),
    /** Rule E: proven by the person (a link or code printid sent) or vouched for by a provider. */
    emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
    firstName: text("first_name"),
    lastName: text("last_name"),
    kind: text("kind", { enum: accountKinds }).notNull(),
    active: integer("active", { mode: "boolean" }).notNull(),
    /** When an admin (or the tenant's settings) first made the account active; null while it awaits activation. */
    activatedAt: integer("activated_at", { mode: "timestamp_ms" }),
    roles: text("roles", { mode: "json" }).$type<Role[]>().notNull(),
    createdVia: text("created_via", { enum: userOrigins }).notNull(),
    /** PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`); null for users who only sign in externally. */
    passwordHash: text("password_hash"),
    /** Consecutive failed password sign-ins, reset by a success; drives the tenant's lockout policy. */
    failedSignIns: integer("failed_sign_ins").notNull().default(0),
    lockedUntil: integer("locked_until", { mode: "timestamp_ms" }),
    /**
     * Password checks started and not yet finished. A check holds a slot until its outcome is known, so
     * that at most the lockout's number of wrong passwords is checked at once, while correct ones give
     * their slot back and are never refused. A slot held past `passwordChecksSince` + a lease is stale
     * (its request died) and no longer counts; the lease runs from when the held slots went from none to some.
     */
    passwordChecksInFlight: integer("password_checks_in_flight").notNull().default(0),
    passwordChecksSince: integer("password_checks_since", { mode: "timestamp_ms" }),
    /** An admin set a temporary password: sign-in answers `password_change_required` until it is changed. */
    mustChangePassword: integer("must_change_password", { mode: "boolean" }).notNull().default(false),
    /** The last successful sign-in, for the admin's views. */
    lastSignInAt: integer("last_sign_in_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    // Usernames and e-mails are unique per tenant regardless of case: sign-in looks them up by lower().
    uniqueIndex("users_tenant_username_unique").on(t.tenantId, sql`lower(${t.username})`),
    uniqueIndex("users_tenant_email_unique").on(t.tenantId, sql`lower(${t.email})`),
    // Admin listing, newest first, with a (created_at, id) cursor.
    index("users_tenant_created").on(t.tenantId, t.createdAt, t.id),
  ],
);

export const externalIdentities = sqliteTable(
  "external_identities",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: providerNames }).notNull(),
    /** The provider's stable subject; for Microsoft `${tid}/${oid}`. Never the e-mail claim. */
    subject: text("subject").notNull(),
    /** The e-mail the provider asserted when the identity was linked, for the admin's information. */
    email: text("email"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("external_identities_tenant_provider_subject").on(t.tenantId, t.provider, t.subject),
    index("external_identities_user").on(t.userId),
  ],
);

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id").notNull(),
    /** `password` or a provider name. */
    method: text("method").notNull(),
    /** The scope granted at sign-in; refreshes keep it (an `openid` session gets new ID tokens). */
    scope: text("scope").notNull(),
    createdAt: createdAt(),
    /**
     * When the person authenticated (the ID token's `auth_time`): the sign-in that opened the session, or
     * an earlier one its browser session carried. Null on sessions older than the column: `created_at`.
     */
    authTime: integer("auth_time", { mode: "timestamp_ms" }),
    /** How the person authenticated (RFC 8176 `amr`: `pwd`, `otp`, `hwk`, `mfa`…), for its ID tokens and step-up checks. */
    amr: text("amr", { mode: "json" }).$type<string[]>(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    /**
     * The generation of the session's refresh token now valid (tokens/refresh-token.ts): no token is
     * stored, only this count, so a session is one row however often it refreshes.
     */
    refreshGeneration: integer("refresh_generation").notNull().default(0),
    /** When the generation last moved on: the previous token still works for the tenant's reuse window. */
    refreshedAt: integer("refreshed_at", { mode: "timestamp_ms" }),
    /** When the session was last used (a refresh, a request of the browser's session): the idle time-out's clock. */
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    /** Where the session was opened from, for the person's and the admin's session lists. */
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user").on(t.userId), index("sessions_expires").on(t.expiresAt)],
);

export const authorizationCodes = sqliteTable(
  "authorization_codes",
  {
    /** SHA-256 of the code, base64url. */
    codeHash: text("code_hash").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    clientId: text("client_id").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** `password` or a provider name: carried into the session the code opens. */
    method: text("method").notNull(),
    /**
     * PKCE S256 challenge of the client that asked for the code; null only for a confidential client that
     * sent none (its secret authenticates the redemption).
     */
    codeChallenge: text("code_challenge"),
    scope: text("scope").notNull(),
    nonce: text("nonce"),
    createdAt: createdAt(),
    /** When the person authenticated, for the session the code opens; null on older codes: `created_at`. */
    authTime: integer("auth_time", { mode: "timestamp_ms" }),
    /** How the person authenticated, carried to the session the code opens. */
    amr: text("amr", { mode: "json" }).$type<string[]>(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    /** Set on redemption; a second redemption revokes the session the first one opened. */
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    sessionId: text("session_id"),
  },
  (t) => [index("authorization_codes_expires").on(t.expiresAt)],
);

export const signInAttempts = sqliteTable(
  "sign_in_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    /** The login exactly as typed (or the provider's subject), kept for the admin's audit. */
    login: text("login").notNull(),
    /** The user the login resolved to, if any; not a foreign key so the record outlives the user. */
    userId: text("user_id"),
    success: integer("success", { mode: "boolean" }).notNull(),
    /** The outcome's error code, null on success. */
    code: text("code"),
    /** `password` or a provider name. */
    method: text("method").notNull(),
    /** The second factor used (`totp`, `email`, `passkey`, `recovery`) or refused; null when none was asked. */
    factor: text("factor"),
    ip: text("ip"),
    clientId: text("client_id"),
    userAgent: text("user_agent"),
  },
  (t) => [
    // Admin listing, newest first; id breaks ties and is the cursor.
    index("sign_in_attempts_tenant_id").on(t.tenantId, t.id),
    // A person's own attempts (GET /me/sign-in-attempts, the admin's filter by user), newest first: a page
    // reads that person's rows only, however many the tenant has. Attempts of unknown logins (no user)
    // are left out of it, so a sprayed login costs no entry here.
    index("sign_in_attempts_tenant_user").on(t.tenantId, t.userId, t.id).where(sql`user_id IS NOT NULL`),
    // Retention: the scheduled handler deletes rows older than the bound.
    // The clean-up finds each tenant's attempts past its own retention through this one.
    index("sign_in_attempts_tenant_at").on(t.tenantId, t.at),
  ],
);

/** What an account token proves once used: an e-mail address, a reset, an invitation, a forced password change. */
export const accountTokenPurposes = ["verify_email", "reset_password", "invitation", "password_change"] as const;
export type AccountTokenPurpose = (typeof accountTokenPurposes)[number];

/**
 * Single-use proofs printid hands a person (a link with a token, and for e-mail a short code beside it):
 * e-mail verification, password reset, invitation, the short-lived token of a forced password change.
 * Only hashes are stored; each is bound to its tenant, user and purpose, and expires.
 */
export const accountTokens = sqliteTable(
  "account_tokens",
  {
    /** SHA-256 (base64url) of the link's token. */
    tokenHash: text("token_hash").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: accountTokenPurposes }).notNull(),
    /** For an e-mail code typed instead of following the link: its keyed hash, and the wrong tries so far. */
    codeHash: text("code_hash"),
    codeFailures: integer("code_failures").notNull().default(0),
    /** The address the message went to: a token proves only that address. */
    email: text("email"),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("account_tokens_user").on(t.userId, t.purpose), index("account_tokens_expires").on(t.expiresAt)],
);

/** What a device client is: a multifunction printer, a panel at one, a desktop print client. */
export const deviceKinds = ["printer", "panel", "desktop"] as const;

/**
 * Printers, panels and desktop clients of a tenant (issue 15): OAuth clients its admins register, each
 * with its own secret, stored only as a hash. A revoked device gets nothing more.
 */
export const deviceClients = sqliteTable(
  "device_clients",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: deviceKinds }).notNull(),
    /**
     * SHA-256 (base64url) of the device's client secret; empty for a device that authenticates with
     * `private_key_jwt` instead (no SHA-256 is empty, so no secret matches it).
     */
    secretHash: text("secret_hash").notNull(),
    /** The public keys (a JWK Set) a `private_key_jwt` device signs its client assertions with; null for a secret's device. */
    jwks: text("jwks", { mode: "json" }).$type<{ keys: JsonWebKey[] }>(),
    /**
     * Failed panel sign-ins at this device (unknown PIN or card, wrong PIN) since `failuresSince`: a
     * success does not reset them (one person's own PIN must not clear another's guesses), the window
     * lapses after the tenant's lockout time.
     */
    failedSignIns: integer("failed_sign_ins").notNull().default(0),
    failuresSince: integer("failures_since", { mode: "timestamp_ms" }),
    lockedUntil: integer("locked_until", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  // The admins' list, newest first, with a (created_at, id) cursor.
  (t) => [index("device_clients_tenant").on(t.tenantId, t.createdAt, t.id)],
);

/**
 * The `jti` of client assertions (RFC 7523) devices have used, until the assertion expires: an
 * assertion authenticates once (RFC 7523 §3, OpenID Connect Core §9).
 */
export const usedClientAssertions = sqliteTable(
  "used_client_assertions",
  {
    /** SHA-256 (base64url) of the device's id and the assertion's jti. */
    jtiHash: text("jti_hash").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("used_client_assertions_expires").on(t.expiresAt)],
);

/**
 * A person's PIN for the tenant's panels (issue 15), never in clear: `lookupKey` finds it (a keyed hash
 * of tenant and PIN, the key a Worker secret of the region), `pinHash` checks it (Argon2id). One per
 * person, unique within the tenant.
 */
export const userPins = sqliteTable(
  "user_pins",
  {
    userId: text("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    lookupKey: text("lookup_key").notNull(),
    pinHash: text("pin_hash").notNull(),
    /** Its number of digits: the tenant's PINs of a length are counted to know when new ones must be longer. */
    length: integer("length").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("user_pins_tenant_lookup").on(t.tenantId, t.lookupKey), index("user_pins_tenant_length").on(t.tenantId, t.length)],
);

/**
 * ID cards (issue 15): several per person, each unique within the tenant, stored as a keyed hash of its
 * number as the tenant's rules normalise it; a temporary card has an expiry.
 */
export const idCards = sqliteTable(
  "id_cards",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    lookupKey: text("lookup_key").notNull(),
    /** The admin's or person's name for it ("badge", "visitor card 3"). */
    label: text("label"),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    /** Consecutive wrong PINs typed after this card, reset by a success: the card locks like an account. */
    failedSignIns: integer("failed_sign_ins").notNull().default(0),
    lockedUntil: integer("locked_until", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("id_cards_tenant_lookup").on(t.tenantId, t.lookupKey), index("id_cards_user").on(t.userId, t.createdAt)],
);

/**
 * RFC 8628 device authorizations: the device's code and the person's typed (or scanned) code, as hashes
 * only, until the person approves or denies, the device collects its tokens, or they expire.
 */
export const deviceAuthorizations = sqliteTable(
  "device_authorizations",
  {
    /** SHA-256 (base64url) of the device_code. */
    deviceCodeHash: text("device_code_hash").primaryKey(),
    /** SHA-256 (base64url) of the normalised user_code; unique while it lives. */
    userCodeHash: text("user_code_hash").notNull(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    deviceClientId: text("device_client_id")
      .notNull()
      .references(() => deviceClients.id, { onDelete: "cascade" }),
    scope: text("scope").notNull(),
    status: text("status", { enum: ["pending", "approved", "denied", "used"] }).notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    /** How the approving person had authenticated (their session's `amr`): the device's session carries it. */
    amr: text("amr", { mode: "json" }).$type<string[]>(),
    /** Seconds the device must wait between polls; raised by 5 on each slow_down (RFC 8628 §3.5). */
    interval: integer("interval").notNull(),
    lastPolledAt: integer("last_polled_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("device_authorizations_user_code").on(t.userCodeHash), index("device_authorizations_expires").on(t.expiresAt)],
);

export type Tenant = typeof tenants.$inferSelect;
export type User = typeof users.$inferSelect;
/**
 * What rule P loads of a user: not the credential's columns (password hash, lockout counters), nor the
 * record's bookkeeping (how and when it was made or changed), which no authenticated route needs.
 */
export type UserProfile = Omit<
  User,
  "passwordHash" | "failedSignIns" | "lockedUntil" | "passwordChecksInFlight" | "passwordChecksSince" | "createdVia" | "createdAt" | "updatedAt"
>;

/** A browser sign-in in progress with a provider, from /authorize to the callback: minutes, single use. */
export const oauthFlows = sqliteTable(
  "oauth_flows",
  {
    /** SHA-256 of the `state` sent to the provider, base64url. */
    stateHash: text("state_hash").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: providerNames }).notNull(),
    account: text("account", { enum: accountKinds }).notNull(),
    /** The app that asked, where it wants the answer, and its own state and PKCE challenge. */
    clientId: text("client_id").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    appState: text("app_state").notNull(),
    appCodeChallenge: text("app_code_challenge").notNull(),
    /** Our PKCE verifier towards the provider: a secret needed in clear for the code exchange. */
    codeVerifier: text("code_verifier").notNull(),
    nonce: text("nonce").notNull(),
    /** The hosted authorization request a provider sign-in returns to; null for the app's own redirect flow. */
    resume: text("resume"),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("oauth_flows_expires").on(t.expiresAt)],
);

/**
 * Rule L for logins that name no account: failures counted in a fixed number of buckets per tenant (a
 * keyed hash of the login picks one), so unknown logins lock on the same schedule as known ones while an
 * attacker spraying logins cannot make the table grow past `tenants × buckets` rows.
 */
export const unknownLoginFailures = sqliteTable(
  "unknown_login_failures",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    bucket: integer("bucket").notNull(),
    failures: integer("failures").notNull(),
    lockedUntil: integer("locked_until", { mode: "timestamp_ms" }),
    /** When the count last moved; the scheduled handler removes buckets idle past the lockout. */
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.bucket] }), index("unknown_login_failures_updated").on(t.updatedAt)],
);

/** Provider ID tokens already used to sign in natively, until they expire: one sign-in per token. */
export const usedIdTokens = sqliteTable(
  "used_id_tokens",
  {
    /** SHA-256 of the provider's ID token, base64url. */
    tokenHash: text("token_hash").primaryKey(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("used_id_tokens_expires").on(t.expiresAt)],
);

/**
 * A person's TOTP and e-mail factors (issue 16): one of each at most. A TOTP secret is kept encrypted
 * (AES-GCM, factors/secret-box.ts) and counts only once confirmed with a first code.
 */
export const secondFactors = sqliteTable(
  "second_factors",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type", { enum: ["totp", "email"] }).notNull(),
    /** TOTP: the secret, AES-GCM encrypted under a key derived from a Worker secret; null for e-mail. */
    secret: text("secret"),
    /** Null until the person proved it works (TOTP: a first code); an unconfirmed factor counts for nothing. */
    confirmedAt: integer("confirmed_at", { mode: "timestamp_ms" }),
    /** TOTP: the last time step whose code was accepted; a code of that step or an earlier one is refused (replay). */
    lastUsedStep: integer("last_used_step"),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("second_factors_user_type").on(t.userId, t.type)],
);

/** Passkeys (WebAuthn credentials, issue 16): several per person, named, as a second factor or alone. */
export const passkeys = sqliteTable(
  "passkeys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The authenticator's credential id, base64url. */
    credentialId: text("credential_id").notNull(),
    /** The credential's public key (COSE), base64url. */
    publicKey: text("public_key").notNull(),
    /** The authenticator's signature counter, as last seen (0 for authenticators that keep none). */
    counter: integer("counter").notNull().default(0),
    transports: text("transports", { mode: "json" }).$type<string[]>(),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("passkeys_tenant_credential").on(t.tenantId, t.credentialId), index("passkeys_user").on(t.userId, t.createdAt)],
);

/** Recovery codes (issue 16): ten per person, shown once, kept as keyed hashes, each used once. */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    /** HMAC-SHA-256 of the normalised code (crypto/lookup-key.ts), base64url. */
    codeHash: text("code_hash").notNull(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/**
 * A sign-in waiting for its second step (issue 16): the `mfaToken` (stored as its SHA-256) names it, and it
 * holds what the first step would have opened, to open it once a factor is proven. Single use, minutes.
 */
export const mfaChallenges = sqliteTable(
  "mfa_challenges",
  {
    tokenHash: text("token_hash").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** What to open once the factor is proven (factors/challenges.ts `PendingGrant`). */
    grant: text("grant", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** An e-mail code sent for this challenge: its keyed hash and end; null until one is asked for. */
    emailCodeHash: text("email_code_hash"),
    emailCodeExpiresAt: integer("email_code_expires_at", { mode: "timestamp_ms" }),
    /** The WebAuthn challenge a passkey answers for this step, base64url; null until asked for. */
    webauthnChallenge: text("webauthn_challenge"),
    /** Wrong answers so far: the tenant's lockout number of them ends the challenge (and count on the account). */
    failures: integer("failures").notNull().default(0),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("mfa_challenges_expires").on(t.expiresAt)],
);

/** WebAuthn challenges outside a sign-in's second step: a passkey's enrolment, a passkey sign-in. Single use, minutes. */
export const webauthnChallenges = sqliteTable(
  "webauthn_challenges",
  {
    /** SHA-256 of the challenge, base64url. */
    challengeHash: text("challenge_hash").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** The person enrolling; null for a sign-in, where the passkey says who. */
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["register", "authenticate"] }).notNull(),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("webauthn_challenges_expires").on(t.expiresAt)],
);

/**
 * "Remember this device" (issue 16): a browser or app that passed the second step holds a token that lets
 * it skip the step for the tenant's `rememberDays`; revoked with the person's factors or sessions.
 */
export const rememberedDevices = sqliteTable(
  "remembered_devices",
  {
    /** SHA-256 of the token, base64url. */
    tokenHash: text("token_hash").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("remembered_devices_user").on(t.userId), index("remembered_devices_expires").on(t.expiresAt)],
);
