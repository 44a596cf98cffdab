// POST /t/{tenant}/panel/sign-in (issue 15, rules D, L, P, T): what a panel gets (a short session, no
// refresh token), lockout per device and per card, every attempt recorded with its method, the device's
// name and IP, rule P on every path (a deactivated person, a disabled tenant, a revoked device, a
// desktop client), and rule T: no PIN, card or device of one tenant works in another or in the other
// region. Holes closed: guesses at one device reset by a correct PIN between them, a burst of guesses
// past the lockout, a revoked panel's session still answering, a PIN of one tenant opening another.
import { decodeJwt } from "jose";
import type { InferOutput } from "valibot";
import type { AttemptView } from "../../src/audit/attempt-page";
import { describe, expect, it } from "vitest";
import { problemOf } from "../support/problems";
import { eu, us } from "../support/regions";
import { json } from "../support/tenants";
import { assertionParams, authorizeDevice, clientAssertion, decide, deviceKey, lastPolledAgo, poll, registerDevice, registerKeyDevice } from "../devices/support";
import { cardOf, meWith, panelFixture, panelSignIn, person, personWithPin, type PanelFixture, type PanelTokens } from "./support";

/** An attempt as the admin's list answers it. */
type AttemptItem = InferOutput<typeof AttemptView>;

async function attempts(f: PanelFixture): Promise<AttemptItem[]> {
  const response = await f.region.fetch(`/t/${f.tenant}/admin/sign-in-attempts?limit=100`, { headers: f.auth });
  return ((await response.json()) as { items: AttemptItem[] }).items;
}

/** A PIN nobody in the tenant holds (PINs are 6 digits by default: this one has 7). */
const NOBODYS_PIN = "5820394";

describe("what a panel gets", () => {
  it("D a PIN signs its holder in: an access token for the tenant's panel session time, no refresh token, rule P at /me", async () => {
    const f = await panelFixture();
    const { user, pin } = await personWithPin(f);
    const response = await panelSignIn(f, { pin });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const tokens = (await response.json()) as PanelTokens;
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 300, scope: "openid profile" });
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.id_token).toBeDefined();
    const claims = decodeJwt(tokens.access_token);
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(claims).toMatchObject({ sub: user.id, aud: f.panel.id, client_id: f.panel.id });
    expect(((await (await meWith(f, tokens)).json()) as { username: string }).username).toBe(user.username);
    const session = await f.region.db.prepare("SELECT method, client_id, expires_at - created_at AS life FROM sessions WHERE user_id = ? AND method = 'pin'").bind(user.id).first();
    expect(session).toEqual({ method: "pin", client_id: f.panel.id, life: 300_000 });
  });

  it("D the panel's session ends with its time: the access token is refused at /me after it", async () => {
    const f = await panelFixture();
    const { user, pin } = await personWithPin(f);
    const tokens = (await (await panelSignIn(f, { pin })).json()) as PanelTokens;
    await f.region.db.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = ? AND method = 'pin'").bind(Date.now() - 1, user.id).run();
    expect((await meWith(f, tokens)).status).toBe(401);
  });

  it("validation: a body with neither PIN nor card, a PIN that is not 4 to 16 digits, an unknown scope (400, nothing counted)", async () => {
    const f = await panelFixture();
    for (const body of [{}, { pin: "12ab" }, { pin: "123" }, { pin: "1".repeat(17) }, { pin: "582913", scope: "admin" }]) {
      await problemOf(await panelSignIn(f, body), 400, "validation_failed");
    }
    expect(await f.region.db.prepare("SELECT failed_sign_ins FROM device_clients WHERE id = ?").bind(f.panel.id).first("failed_sign_ins")).toBe(0);
  });
});

describe("lockout at the panel (rule L)", () => {
  it("L an unknown PIN is refused like a wrong one; the tenant's maxAttempts failures lock the device, whatever PIN comes next", async () => {
    const f = await panelFixture({ lockout: { maxAttempts: 3, lockoutSeconds: 120 } });
    const { pin } = await personWithPin(f);
    for (let i = 0; i < 3; i++) await problemOf(await panelSignIn(f, { pin: NOBODYS_PIN }), 401, "invalid_credentials");
    const locked = await panelSignIn(f, { pin });
    await problemOf(locked, 429, "account_locked");
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(100);
    // Another panel of the tenant is not locked.
    const other = await registerDevice(f, { name: "Second floor", kind: "panel" });
    expect((await panelSignIn(f, { pin }, other)).status).toBe(200);
  });

  it("L a correct PIN between guesses does not clear the device's count (the window of the lockout time does)", async () => {
    const f = await panelFixture({ lockout: { maxAttempts: 3, lockoutSeconds: 120 } });
    const { pin } = await personWithPin(f);
    for (let i = 0; i < 2; i++) {
      await problemOf(await panelSignIn(f, { pin: NOBODYS_PIN }), 401, "invalid_credentials");
      expect((await panelSignIn(f, { pin })).status).toBe(200);
    }
    await problemOf(await panelSignIn(f, { pin: NOBODYS_PIN }), 401, "invalid_credentials");
    await problemOf(await panelSignIn(f, { pin }), 429, "account_locked");
    // Past the window (moved back, not waited for) the device counts afresh.
    await f.region.db.prepare("UPDATE device_clients SET locked_until = NULL, failures_since = ? WHERE id = ?").bind(Date.now() - 121_000, f.panel.id).run();
    expect((await panelSignIn(f, { pin })).status).toBe(200);
  });

  it("L a burst of 12 guesses at once checks no more than the policy allows: the rest are refused as locked", async () => {
    const f = await panelFixture({ lockout: { maxAttempts: 4, lockoutSeconds: 120 } });
    await personWithPin(f);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => panelSignIn(f, { pin: String(5820390 + i) })));
    const codes = await Promise.all(answers.map(async (answer) => ((await answer.json()) as { code: string }).code));
    expect(codes.filter((code) => code === "invalid_credentials")).toHaveLength(4);
    expect(codes.filter((code) => code === "account_locked")).toHaveLength(8);
  });

  it("L wrong PINs after a card lock the card, at every panel, until its lockout ends; its holder's PIN alone still works", async () => {
    const f = await panelFixture({ lockout: { maxAttempts: 3, lockoutSeconds: 120 }, panel: { pin: { enabled: true, minLength: 6 }, methods: ["pin", "card"], cardNeedsPin: true, unknownCard: "refuse", cardRules: [], sessionSeconds: 300 } });
    const { user, pin } = await personWithPin(f);
    await cardOf(f, user.id, "LOCKME01");
    const panels = await Promise.all([1, 2, 3].map((n) => registerDevice(f, { name: `Panel ${n}`, kind: "panel" })));
    for (const panel of panels) await problemOf(await panelSignIn(f, { card: "LOCKME01", pin: "582913" }, panel), 401, "invalid_credentials");
    const locked = await problemOf(await panelSignIn(f, { card: "LOCKME01", pin }), 429, "account_locked");
    expect(locked.detail).toContain("card");
    expect((await panelSignIn(f, { pin })).status).toBe(200);
  });
});

describe("the record of attempts (rule L)", () => {
  it("L every panel attempt is recorded with its method, the device's name as login, the device as client, and the IP", async () => {
    const f = await panelFixture();
    const { user, pin } = await personWithPin(f);
    await cardOf(f, user.id, "AUDIT001");
    await panelSignIn(f, { pin }, f.panel, "198.51.100.7");
    await panelSignIn(f, { pin: NOBODYS_PIN }, f.panel, "198.51.100.8");
    await panelSignIn(f, { card: "AUDIT001" }, f.panel, "198.51.100.9");
    const [card, unknown, known] = await attempts(f);
    const common = { login: "Panel by the lifts", client: f.panel.id };
    expect(known).toMatchObject({ ...common, method: "pin", success: true, code: null, userId: user.id, ip: "198.51.100.7" });
    expect(unknown).toMatchObject({ ...common, method: "pin", success: false, code: "invalid_credentials", userId: null, ip: "198.51.100.8" });
    expect(card).toMatchObject({ ...common, method: "card", success: true, userId: user.id, ip: "198.51.100.9" });
    // The PIN itself is never recorded.
    expect(JSON.stringify(await attempts(f))).not.toContain(pin);
  });

  it("L a device's sign-in by an approved code is recorded with method device and the device's name", async () => {
    const f = await panelFixture();
    const { user, auth } = await person(f);
    const desktop = await registerDevice(f, { name: "Reception desktop", kind: "desktop" });
    const codes = await authorizeDevice(f, desktop);
    expect((await decide(f, "approve", codes.user_code, auth)).status).toBe(200);
    await lastPolledAgo(f.region, codes.device_code, 6);
    expect((await poll(f, desktop, codes.device_code)).status).toBe(200);
    const [attempt] = await attempts(f);
    expect(attempt).toMatchObject({ login: "Reception desktop", method: "device", success: true, userId: user.id, client: desktop.id });
  });
});

describe("rule P at the panel", () => {
  it("P a deactivated person's right PIN and card open nothing (403 account_inactive), and it is recorded", async () => {
    const f = await panelFixture();
    const { user, pin } = await personWithPin(f);
    await cardOf(f, user.id, "INACTIVE");
    await f.region.db.prepare("UPDATE users SET active = 0 WHERE id = ?").bind(user.id).run();
    await problemOf(await panelSignIn(f, { pin }), 403, "account_inactive");
    await problemOf(await panelSignIn(f, { card: "INACTIVE" }), 403, "account_inactive");
    expect((await attempts(f)).slice(0, 2).map((a) => a.code)).toEqual(["account_inactive", "account_inactive"]);
  });

  it("P a person deactivated after signing in at the panel is refused at the next request", async () => {
    const f = await panelFixture();
    const { user, pin } = await personWithPin(f);
    const tokens = (await (await panelSignIn(f, { pin })).json()) as PanelTokens;
    await f.region.db.prepare("UPDATE users SET active = 0 WHERE id = ?").bind(user.id).run();
    expect((await meWith(f, tokens)).status).toBe(403);
  });

  it("P a disabled tenant's panels sign nobody in (403 tenant_disabled)", async () => {
    const f = await panelFixture();
    const { pin } = await personWithPin(f);
    await f.region.db.prepare("UPDATE tenants SET enabled = 0 WHERE id = ?").bind(f.tenantId).run();
    await problemOf(await panelSignIn(f, { pin }), 403, "tenant_disabled");
  });

  it("D a revoked panel is refused at once (401 invalid_client with the Basic challenge), and its sessions end", async () => {
    const f = await panelFixture();
    const { pin } = await personWithPin(f);
    const tokens = (await (await panelSignIn(f, { pin })).json()) as PanelTokens;
    expect((await f.region.fetch(`/t/${f.tenant}/admin/devices/${f.panel.id}/revoke`, json({}, f.auth))).status).toBe(204);
    const refused = await panelSignIn(f, { pin });
    await problemOf(refused, 401, "invalid_client");
    expect(refused.headers.get("WWW-Authenticate")).toContain("Basic");
    expect((await meWith(f, tokens)).status).toBe(401);
  });

  it("D a panel without credentials, with a wrong secret, or an app's client id is refused (401 invalid_client)", async () => {
    const f = await panelFixture();
    const { pin } = await personWithPin(f);
    await problemOf(await f.region.fetch(`/t/${f.tenant}/panel/sign-in`, json({ pin })), 401, "invalid_client");
    await problemOf(await panelSignIn(f, { pin }, { ...f.panel, auth: { Authorization: `Basic ${btoa(`${f.panel.id}:wrong`)}` } }), 401, "invalid_client");
    await problemOf(await f.region.fetch(`/t/${f.tenant}/panel/sign-in`, json({ pin, client_id: "printid-mobile" })), 401, "invalid_client");
  });

  it("D RFC 7523 a panel registered with keys signs in with a client assertion, which works once", async () => {
    const f = await panelFixture();
    const { user, pin } = await personWithPin(f);
    const key = await deviceKey("ES256");
    const panelId = await registerKeyDevice(f, key);
    const keyPanel = { id: panelId, clientSecret: "", auth: {} };
    const body = { pin, ...assertionParams(await clientAssertion(f, panelId, key)) };
    const response = await panelSignIn(f, body, keyPanel);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(((await (await meWith(f, (await response.json()) as PanelTokens)).json()) as { username: string }).username).toBe(user.username);
    await problemOf(await panelSignIn(f, body, keyPanel), 401, "invalid_client");
  });

  it("D a desktop client signs people in with a device code, not at a panel (403 forbidden)", async () => {
    const f = await panelFixture();
    const { pin } = await personWithPin(f);
    const desktop = await registerDevice(f, { name: "Desktop client", kind: "desktop" });
    await problemOf(await panelSignIn(f, { pin }, desktop), 403, "forbidden");
  });
});

describe("rule T at the panel", () => {
  it("T a PIN or card of one tenant opens nothing at another tenant's panel; its device is no client there", async () => {
    const a = await panelFixture();
    const b = await panelFixture();
    const { user, pin } = await personWithPin(a);
    await cardOf(a, user.id, "TENANTA1");
    await problemOf(await panelSignIn(b, { pin }), 401, "invalid_credentials");
    await problemOf(await panelSignIn(b, { card: "TENANTA1" }), 401, "invalid_credentials");
    // Tenant A's panel presenting itself at tenant B.
    await problemOf(await panelSignIn({ ...b, panel: a.panel }, { pin }), 401, "invalid_client");
  });

  it("T a panel of one region is no client in the other, and its PINs open nothing there", async () => {
    const inEu = await panelFixture({}, eu);
    const { pin } = await personWithPin(inEu);
    const inUs = await panelFixture({}, us);
    await problemOf(await panelSignIn({ ...inUs, panel: inEu.panel }, { pin }), 401, "invalid_client");
    await problemOf(await panelSignIn(inUs, { pin }), 401, "invalid_credentials");
  });

  it("T a panel's access token works only at its own tenant", async () => {
    const a = await panelFixture();
    const b = await panelFixture();
    const { pin } = await personWithPin(a);
    const tokens = (await (await panelSignIn(a, { pin })).json()) as PanelTokens;
    expect((await meWith(b, tokens)).status).toBe(401);
  });
});
