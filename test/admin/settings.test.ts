// Administration › Settings › User management (GET/PATCH /t/{tenant}/admin/settings), rules R, L, P and T:
// only an admin of this very tenant reads or changes them; a PATCH changes exactly the fields it names
// (lockout merged field by field) and refuses anything unknown or out of range whole; a change applies from
// the very next request (registration, the tenant card, the lockout). Closes the holes of settings changed
// by non-admins or by another tenant's admin, typos silently ignored, a partial change wiping the rest, and
// settings cached past their change.
import { describe, expect, it } from "vitest";
import { adminFixture, memberAuth, patchSettings, type AdminFixture } from "../support/admin";
import { eu, us, type Region } from "../support/regions";
import { json } from "../support/tenants";
import { bearer, CLIENT_ID, PASSWORD, seedUser, signIn, tokensFor } from "../support/users";
import { problemOf } from "../support/problems";


interface Settings {
  allowRegistration: boolean;
  newUsersActiveByDefault: boolean;
  lockout: { maxAttempts: number; lockoutSeconds: number };
  providers: { work: string[]; personal: string[] };
  refreshTokenReuseSeconds: number;
  signInAttemptRetentionDays: number;
  signInAttemptCap: number;
  emailConfirmationRequired: boolean;
  sessionMaxSeconds: number;
  sessionIdleSeconds: number;
  deviceCodeSeconds: number;
  panel: {
    pin: { enabled: boolean; minLength: number };
    methods: string[];
    cardNeedsPin: boolean;
    unknownCard: string;
    cardRules: unknown[];
    sessionSeconds: number;
  };
  mfa: { mode: string; factors: string[]; rememberDays: number; trustProviderMfa: boolean };
}

/** Not the defaults, so that a field reset to its default would show. */
const INITIAL: Settings = {
  allowRegistration: true,
  newUsersActiveByDefault: false,
  lockout: { maxAttempts: 4, lockoutSeconds: 120 },
  providers: { work: ["microsoft", "google"], personal: ["apple"] },
  refreshTokenReuseSeconds: 12,
  signInAttemptRetentionDays: 30,
  signInAttemptCap: 5_000,
  emailConfirmationRequired: true,
  sessionMaxSeconds: 7 * 86_400,
  sessionIdleSeconds: 3600,
  deviceCodeSeconds: 300,
  panel: { pin: { enabled: true, minLength: 8 }, methods: ["card"], cardNeedsPin: true, unknownCard: "bind", cardRules: ["trim", { padStart: 10 }], sessionSeconds: 120 },
  // Optional: the fixture's admin, who has no factor, signs in (a mode that makes them owe one is patched in a test).
  mfa: { mode: "optional", factors: ["totp", "passkey"], rememberDays: 7, trustProviderMfa: true },
};

/** A whole panel policy unlike INITIAL's in every field. */
const EVERY_PANEL_FIELD: Settings["panel"] = { pin: { enabled: true, minLength: 4 }, methods: ["pin"], cardNeedsPin: false, unknownCard: "register", cardRules: [], sessionSeconds: 3600 };

/** A whole second-factor policy unlike INITIAL's in every field. */
const EVERY_MFA_FIELD: Settings["mfa"] = { mode: "admins", factors: ["email"], rememberDays: 0, trustProviderMfa: false };

type Fixture = AdminFixture;

/** A tenant of its own with INITIAL settings, and its admin. */
const fixture = (region: Region = eu, settings: Partial<Settings> = INITIAL) => adminFixture(settings, region);

const getSettings = (f: Fixture, auth = f.auth) => f.region.fetch(`/t/${f.tenant}/admin/settings`, { headers: auth });

async function settingsOf(f: Fixture): Promise<Settings> {
  const response = await getSettings(f);
  expect(response.status).toBe(200);
  return (await response.json()) as Settings;
}

/** The tenant's row as stored, to prove that a refused change wrote nothing (not even `updated_at`). */
function tenantRow(f: Fixture) {
  return f.region.db.prepare("SELECT * FROM tenants WHERE id = ?").bind(f.tenantId).first<Record<string, unknown>>();
}

describe("GET /t/{tenant}/admin/settings", () => {
  it("R answers exactly the settings the tenant has", async () => {
    for (const region of [eu, us]) {
      const f = await fixture(region);
      expect(await settingsOf(f)).toEqual(INITIAL);
    }
  });

  it("R a new tenant's defaults: closed to registration, registrations wait, 5 failures lock for 15 minutes, attempts kept 90 days and 1,000,000 at most, no e-mail confirmation, sessions of 30 days without idle time-out", async () => {
    const f = await fixture(eu, {});
    expect(await settingsOf(f)).toEqual({
      allowRegistration: false,
      newUsersActiveByDefault: false,
      lockout: { maxAttempts: 5, lockoutSeconds: 900 },
      refreshTokenReuseSeconds: 30,
      signInAttemptRetentionDays: 90,
      signInAttemptCap: 1_000_000,
      emailConfirmationRequired: false,
      sessionMaxSeconds: 30 * 86_400,
      sessionIdleSeconds: 0,
      providers: { work: ["apple", "google", "microsoft"], personal: ["apple", "google", "microsoft"] },
      deviceCodeSeconds: 120,
      panel: { pin: { enabled: true, minLength: 6 }, methods: ["pin", "card"], cardNeedsPin: false, unknownCard: "refuse", cardRules: ["trim", "uppercase"], sessionSeconds: 300 },
      mfa: { mode: "optional", factors: ["totp", "email", "passkey"], rememberDays: 30, trustProviderMfa: false },
    });
  });
});

describe("PATCH /t/{tenant}/admin/settings", () => {
  it.each<[string, Record<string, unknown>, Settings]>([
    ["allowRegistration alone", { allowRegistration: false }, { ...INITIAL, allowRegistration: false }],
    ["newUsersActiveByDefault alone", { newUsersActiveByDefault: true }, { ...INITIAL, newUsersActiveByDefault: true }],
    ["lockout.maxAttempts alone", { lockout: { maxAttempts: 10 } }, { ...INITIAL, lockout: { maxAttempts: 10, lockoutSeconds: 120 } }],
    ["lockout.lockoutSeconds alone", { lockout: { lockoutSeconds: 86_400 } }, { ...INITIAL, lockout: { maxAttempts: 4, lockoutSeconds: 86_400 } }],
    ["the whole lockout", { lockout: { maxAttempts: 1, lockoutSeconds: 1 } }, { ...INITIAL, lockout: { maxAttempts: 1, lockoutSeconds: 1 } }],
    ["providers.work alone", { providers: { work: [] } }, { ...INITIAL, providers: { work: [], personal: ["apple"] } }],
    ["providers.personal alone, without duplicates", { providers: { personal: ["google", "google"] } }, { ...INITIAL, providers: { work: ["microsoft", "google"], personal: ["google"] } }],
    ["nothing", {}, INITIAL],
    ["refreshTokenReuseSeconds alone (0 = strict)", { refreshTokenReuseSeconds: 0 }, { ...INITIAL, refreshTokenReuseSeconds: 0 }],
    ["signInAttemptRetentionDays alone", { signInAttemptRetentionDays: 365 }, { ...INITIAL, signInAttemptRetentionDays: 365 }],
    ["emailConfirmationRequired alone", { emailConfirmationRequired: false }, { ...INITIAL, emailConfirmationRequired: false }],
    ["sessionMaxSeconds alone (a year at most)", { sessionMaxSeconds: 365 * 86_400 }, { ...INITIAL, sessionMaxSeconds: 365 * 86_400 }],
    ["sessionIdleSeconds alone (0 = none)", { sessionIdleSeconds: 0 }, { ...INITIAL, sessionIdleSeconds: 0 }],
    ["deviceCodeSeconds alone", { deviceCodeSeconds: 30 }, { ...INITIAL, deviceCodeSeconds: 30 }],
    ["mfa.mode alone (M)", { mfa: { mode: "all" } }, { ...INITIAL, mfa: { ...INITIAL.mfa, mode: "all" } }],
    ["mfa.factors and rememberDays (M)", { mfa: { factors: ["email", "totp", "email"], rememberDays: 90 } }, { ...INITIAL, mfa: { ...INITIAL.mfa, factors: ["email", "totp"], rememberDays: 90 } }],
    ["panel.pin.minLength alone (the rest of the panel policy kept)", { panel: { pin: { minLength: 16 } } }, { ...INITIAL, panel: { ...INITIAL.panel, pin: { enabled: true, minLength: 16 } } }],
    ["panel methods and card rules", { panel: { methods: ["pin", "card", "pin"], cardRules: ["hexToDecimal", "reverseBytes", "stripLeadingZeros"] } },
      { ...INITIAL, panel: { ...INITIAL.panel, methods: ["pin", "card"], cardRules: ["hexToDecimal", "reverseBytes", "stripLeadingZeros"] } }],
    ["everything", { allowRegistration: false, newUsersActiveByDefault: true, lockout: { maxAttempts: 2, lockoutSeconds: 30 }, providers: { work: ["apple"], personal: [] }, refreshTokenReuseSeconds: 300, signInAttemptRetentionDays: 1, signInAttemptCap: 1_000, emailConfirmationRequired: false, sessionMaxSeconds: 3600, sessionIdleSeconds: 90 * 86_400, deviceCodeSeconds: 1800, panel: EVERY_PANEL_FIELD, mfa: EVERY_MFA_FIELD },
      { allowRegistration: false, newUsersActiveByDefault: true, lockout: { maxAttempts: 2, lockoutSeconds: 30 }, providers: { work: ["apple"], personal: [] }, refreshTokenReuseSeconds: 300, signInAttemptRetentionDays: 1, signInAttemptCap: 1_000, emailConfirmationRequired: false, sessionMaxSeconds: 3600, sessionIdleSeconds: 90 * 86_400, deviceCodeSeconds: 1800, panel: EVERY_PANEL_FIELD, mfa: EVERY_MFA_FIELD }],
  ])("R a PATCH of %s changes that and keeps the rest", async (_what, patch, expected) => {
    const f = await fixture();
    const response = await patchSettings(f, patch);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(expected);
    // Stored, not merely answered.
    expect(await settingsOf(f)).toEqual(expected);
    expect(await tenantRow(f)).toMatchObject({
      allow_registration: Number(expected.allowRegistration),
      new_users_active_by_default: Number(expected.newUsersActiveByDefault),
      lockout_max_attempts: expected.lockout.maxAttempts,
      lockout_seconds: expected.lockout.lockoutSeconds,
    });
  });

  it("R two admins changing different settings at the same time both keep their change", async () => {
    const f = await fixture();
    const [a, b] = await Promise.all([patchSettings(f, { newUsersActiveByDefault: true }), patchSettings(f, { lockout: { maxAttempts: 9 } })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await settingsOf(f)).toEqual({ ...INITIAL, newUsersActiveByDefault: true, lockout: { maxAttempts: 9, lockoutSeconds: 120 } });
  });

  it("R D two admins changing different fields of the panel policy at the same time both keep their change", async () => {
    const f = await fixture();
    const [a, b] = await Promise.all([patchSettings(f, { panel: { pin: { minLength: 12 } } }), patchSettings(f, { panel: { sessionSeconds: 60 } })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await settingsOf(f)).panel).toEqual({ ...INITIAL.panel, pin: { enabled: true, minLength: 12 }, sessionSeconds: 60 });
  });

  it.each<[string, unknown, string]>([
    ["maxAttempts 0", { lockout: { maxAttempts: 0 } }, "lockout.maxAttempts"],
    ["maxAttempts 101", { lockout: { maxAttempts: 101 } }, "lockout.maxAttempts"],
    ["a fractional maxAttempts", { lockout: { maxAttempts: 2.5 } }, "lockout.maxAttempts"],
    ["maxAttempts as a string", { lockout: { maxAttempts: "3" } }, "lockout.maxAttempts"],
    ["lockoutSeconds 0", { lockout: { lockoutSeconds: 0 } }, "lockout.lockoutSeconds"],
    ["lockoutSeconds over a day", { lockout: { lockoutSeconds: 86_401 } }, "lockout.lockoutSeconds"],
    ["a negative refresh token reuse window", { refreshTokenReuseSeconds: -1 }, "refreshTokenReuseSeconds"],
    ["a refresh token reuse window over 5 minutes", { refreshTokenReuseSeconds: 301 }, "refreshTokenReuseSeconds"],
    ["an attempt retention of 0 days", { signInAttemptRetentionDays: 0 }, "signInAttemptRetentionDays"],
    ["an attempt retention over 10 years", { signInAttemptRetentionDays: 3651 }, "signInAttemptRetentionDays"],
    ["a session lifetime under an hour", { sessionMaxSeconds: 3599 }, "sessionMaxSeconds"],
    ["a session lifetime over a year", { sessionMaxSeconds: 365 * 86_400 + 1 }, "sessionMaxSeconds"],
    ["a negative idle time-out", { sessionIdleSeconds: -1 }, "sessionIdleSeconds"],
    ["an idle time-out over 90 days", { sessionIdleSeconds: 90 * 86_400 + 1 }, "sessionIdleSeconds"],
    ["emailConfirmationRequired as a string", { emailConfirmationRequired: "on" }, "emailConfirmationRequired"],
    ["an unknown provider", { providers: { work: ["google", "myspace"] } }, "providers.work.1"],
    ["providers that are not a list", { providers: { personal: "apple" } }, "providers.personal"],
    ["allowRegistration as a string", { allowRegistration: "yes" }, "allowRegistration"],
    ["newUsersActiveByDefault null", { newUsersActiveByDefault: null }, "newUsersActiveByDefault"],
    ["a device code lifetime under 30 s", { deviceCodeSeconds: 29 }, "deviceCodeSeconds"],
    ["a device code lifetime over 30 minutes", { deviceCodeSeconds: 1801 }, "deviceCodeSeconds"],
    ["a PIN of 3 digits", { panel: { pin: { minLength: 3 } } }, "panel.pin.minLength"],
    ["a PIN of 17 digits", { panel: { pin: { minLength: 17 } } }, "panel.pin.minLength"],
    ["an unknown panel method", { panel: { methods: ["pin", "face"] } }, "panel.methods.1"],
    ["an unknown card rule", { panel: { cardRules: ["trim", "rot13"] } }, "panel.cardRules.1"],
    ["a padding of 0", { panel: { cardRules: [{ padStart: 0 }] } }, "panel.cardRules.0.padStart"],
    ["an unknown unknown-card policy", { panel: { unknownCard: "adopt" } }, "panel.unknownCard"],
    ["a panel session under 30 s", { panel: { sessionSeconds: 29 } }, "panel.sessionSeconds"],
    ["an unknown mfa mode", { mfa: { mode: "sometimes" } }, "mfa.mode"],
    ["no allowed factor", { mfa: { factors: [] } }, "mfa.factors"],
    ["an unknown factor", { mfa: { factors: ["sms"] } }, "mfa.factors.0"],
    ["a remembered device over 90 days", { mfa: { rememberDays: 91 } }, "mfa.rememberDays"],
  ])("R %s is 400 validation_failed naming the field, and changes nothing", async (_what, patch, path) => {
    const f = await fixture();
    const before = await tenantRow(f);
    const problem = await problemOf(await patchSettings(f, patch), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
    expect(await tenantRow(f)).toEqual(before);
  });

  it.each<[string, unknown, string]>([
    ["a misspelt field", { allowRegistrations: false }, "allowRegistrations"],
    ["an unknown field beside a good one", { allowRegistration: false, registrationOpen: true }, "registrationOpen"],
    ["an unknown lockout field", { lockout: { maxAttempts: 3, minutes: 5 } }, "minutes"],
    ["an unknown kind of account", { providers: { guest: ["apple"] } }, "guest"],
    ["an unknown panel field", { panel: { faceId: true } }, "faceId"],
  ])("R %s is 400 validation_failed, never silently ignored, and changes nothing", async (_what, patch, field) => {
    const f = await fixture();
    const before = await tenantRow(f);
    const problem = await problemOf(await patchSettings(f, patch), 400, "validation_failed");
    expect(problem.errors?.map((error) => `${error.path} ${error.message}`).join("\n")).toContain(field);
    expect(await tenantRow(f)).toEqual(before);
  });

  it.each<[string, number, string, RequestInit]>([
    ["a JSON body sent as text/plain", 415, "unsupported_media_type", { headers: { "Content-Type": "text/plain" }, body: '{"allowRegistration":false}' }],
    ["malformed JSON", 400, "validation_failed", { headers: { "Content-Type": "application/json" }, body: '{"allowRegistration":' }],
    ["a JSON array", 400, "validation_failed", { headers: { "Content-Type": "application/json" }, body: "[]" }],
  ])("R %s is %i %s, and changes nothing", async (_what, status, code, init) => {
    const f = await fixture();
    const before = await tenantRow(f);
    const response = await f.region.fetch(`/t/${f.tenant}/admin/settings`, {
      method: "PATCH",
      ...init,
      headers: { ...f.auth, ...init.headers },
    });
    await problemOf(response, status, code);
    expect(await tenantRow(f)).toEqual(before);
  });
});

describe("P only the tenant's admins", () => {
  it("P a signed-in user who is not an admin is 403 forbidden, reading or changing", async () => {
    const f = await fixture();
    const auth = await memberAuth(f);
    const before = await tenantRow(f);
    await problemOf(await getSettings(f, auth), 403, "forbidden");
    await problemOf(await patchSettings(f, { allowRegistration: false }, auth), 403, "forbidden");
    expect(await tenantRow(f)).toEqual(before);
  });

  it.each([
    ["no token", {}],
    ["a malformed token", { Authorization: "Bearer not.a.jwt" }],
    ["another scheme", { Authorization: "Basic YWRtaW46cGFzc3dvcmQ=" }],
  ])("P %s is 401 unauthorized with a challenge, reading or changing", async (_what, auth) => {
    const f = await fixture();
    const before = await tenantRow(f);
    for (const response of [await getSettings(f, auth), await patchSettings(f, { allowRegistration: false }, auth)]) {
      await problemOf(response, 401, "unauthorized");
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
    }
    expect(await tenantRow(f)).toEqual(before);
  });

  it("T an admin of tenant A is 401 at tenant B's settings (the token's issuer is A), and B never changes", async () => {
    const [a, b] = [await fixture(), await fixture()];
    const before = await tenantRow(b);
    await problemOf(await getSettings(b, a.auth), 401, "unauthorized");
    await problemOf(await patchSettings(b, { allowRegistration: false, lockout: { maxAttempts: 1 } }, a.auth), 401, "unauthorized");
    expect(await tenantRow(b)).toEqual(before);
    // A's token still works where it belongs.
    expect((await getSettings(a)).status).toBe(200);
  });

  it("T an admin's token of one region is 401 in the other", async () => {
    const [inEu, inUs] = [await fixture(eu), await fixture(us)];
    const before = await tenantRow(inUs);
    await problemOf(await getSettings(inUs, inEu.auth), 401, "unauthorized");
    await problemOf(await patchSettings(inUs, { allowRegistration: false }, inEu.auth), 401, "unauthorized");
    expect(await tenantRow(inUs)).toEqual(before);
  });

  it("P an admin demoted by another admin loses access at the next request", async () => {
    const f = await fixture();
    const second = await seedUser(f.region, f.tenantId, { username: "second-admin", roles: ["admin"] });
    const secondAuth = bearer((await tokensFor(f.region, f.tenant, second.username)).access_token);
    expect((await getSettings(f, secondAuth)).status).toBe(200);

    const demoted = await f.region.fetch(`/t/${f.tenant}/admin/users/${second.id}`, { ...json({ roles: [] }, f.auth), method: "PATCH" });
    expect(demoted.status).toBe(200);
    await problemOf(await getSettings(f, secondAuth), 403, "forbidden");
  });
});

describe("R L a change applies from the next request on", () => {
  it("L lowering lockout.maxAttempts locks an account after fewer failures", async () => {
    const f = await fixture();
    const user = await seedUser(f.region, f.tenantId);
    const wrong = () => signIn(f.region, f.tenant, { login: user.username, password: "not the password" });

    expect((await patchSettings(f, { lockout: { maxAttempts: 2 } })).status).toBe(200);
    expect((await wrong()).status).toBe(401);
    const locked = await wrong();
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("Retry-After"))).toBeLessThanOrEqual(120);
    // Locked: even the right password is refused now.
    expect((await signIn(f.region, f.tenant, { login: user.username, password: PASSWORD })).status).toBe(429);
  });

  it("R allowRegistration switches the tenant card's registrationAllowed and its personal sign-in list", async () => {
    const f = await fixture(eu, { allowRegistration: false });
    const card = async () =>
      (await (await f.region.fetch(`/t/${f.tenant}`)).json()) as { registrationAllowed: boolean; signIn: { work: string[]; personal: string[] } };

    expect(await card()).toMatchObject({ registrationAllowed: false, signIn: { personal: [] } });
    expect((await card()).signIn.work).toContain("password");

    expect((await patchSettings(f, { allowRegistration: true })).status).toBe(200);
    const open = await card();
    expect(open.registrationAllowed).toBe(true);
    expect(open.signIn.personal).toContain("password");

    expect((await patchSettings(f, { allowRegistration: false })).status).toBe(200);
    expect(await card()).toMatchObject({ registrationAllowed: false, signIn: { personal: [] } });
  });

  it("R newUsersActiveByDefault decides the very next registration", async () => {
    // Without e-mail confirmation, which holds every new registration's tokens (accounts/email-verification).
    const f = await fixture(eu, { ...INITIAL, emailConfirmationRequired: false });
    const register = (email: string) =>
      f.region.fetch(`/t/${f.tenant}/register`, json({ email, password: PASSWORD, clientId: CLIENT_ID }));
    expect((await register("one@example.com")).status).toBe(202);
    expect((await patchSettings(f, { newUsersActiveByDefault: true })).status).toBe(200);
    expect((await register("two@example.com")).status).toBe(201);
  });
});
