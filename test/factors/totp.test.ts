// TOTP (RFC 6238) as a second factor, and the second step of a sign-in (issue 16, rule M): set up with
// its first code, then asked at every sign-in; a code is good within ±1 step, once; wrong codes count
// toward the lockout; recovery codes work once; the ID token's amr says what was used. Holes closed: a code
// replayed within its window, an mfaToken of another tenant or used twice, a second step skipped.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { adminFixture } from "../support/admin";
import { problemOf } from "../support/problems";
import { eu, us } from "../support/regions";
import { bearer, PASSWORD, seedUser, tokensFor } from "../support/users";
import { codeStepPassed, enrolTotp, firstStep, secondStep, totpCode } from "./support";

async function personWithTotp() {
  const f = await adminFixture();
  const user = await seedUser(f.region, f.tenantId);
  const auth = bearer((await tokensFor(f.region, f.tenant, user.username)).access_token);
  const totp = await enrolTotp(f.region, f.tenant, auth);
  return { f, user, auth, ...totp };
}

describe("setting up an authenticator app", () => {
  it("M RFC 6238 the key comes as base32, an otpauth URI (SHA1, 6 digits, 30 s) and a QR code in SVG; ten recovery codes come with the first factor", async () => {
    const { secret, uri, qrSvg, recoveryCodes, f, user } = await personWithTotp();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(uri).searchParams.get("secret")).toBe(secret);
    expect(new URL(uri).searchParams.get("period")).toBe("30");
    expect(qrSvg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(recoveryCodes).toHaveLength(10);
    const row = await f.region.db.prepare("SELECT secret FROM second_factors WHERE user_id = ?").bind(user.id).first<{ secret: string }>();
    expect(row?.secret).not.toContain(secret);
  });

  it("M an app not yet confirmed counts for nothing: the sign-in asks no second factor", async () => {
    const f = await adminFixture();
    const user = await seedUser(f.region, f.tenantId);
    const auth = bearer((await tokensFor(f.region, f.tenant, user.username)).access_token);
    expect((await f.region.fetch(`/t/${f.tenant}/me/factors/totp`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: "{}" })).status).toBe(200);
    expect((await tokensFor(f.region, f.tenant, user.username)).access_token).toBeDefined();
  });
});

describe("the second step of a sign-in", () => {
  it("M a person with an app gets 401 mfa_required and an mfaToken instead of tokens; the app's code gives the tokens, amr [pwd, otp, mfa]", async () => {
    const { f, user, secret } = await personWithTotp();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    expect(first.factors).toEqual(["totp"]);
    expect(first.enrol).toBe(false);
    const response = await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: totpCode(secret, 1) });
    expect(response.status, await response.clone().text()).toBe(200);
    const tokens = (await response.json()) as { id_token: string; refresh_token: string };
    expect(decodeJwt(tokens.id_token).amr).toEqual(["pwd", "otp", "mfa"]);
  });

  it("M RFC 6238 §5.2 a code of the step before or after is good; two steps away is not", async () => {
    const { f, user, secret } = await personWithTotp();
    const far = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: far.mfaToken, code: totpCode(secret, 3) }), 401, "invalid_credentials");
    for (const steps of [-1, 1]) {
      await codeStepPassed(f.region, user.id);
      const near = await firstStep(f.region, f.tenant, user.username, PASSWORD);
      expect((await secondStep(f.region, f.tenant, { mfaToken: near.mfaToken, code: totpCode(secret, steps) })).status, `${steps} step`).toBe(200);
    }
  });

  it("M RFC 6238 §5.2 a code works once: replayed in its window it is refused", async () => {
    const { f, user, secret } = await personWithTotp();
    const code = totpCode(secret, 1);
    const one = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    expect((await secondStep(f.region, f.tenant, { mfaToken: one.mfaToken, code })).status).toBe(200);
    const two = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: two.mfaToken, code }), 401, "invalid_credentials");
  });

  it("M an mfaToken works once, only in its tenant and region", async () => {
    const { f, user, secret } = await personWithTotp();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    const other = await adminFixture();
    await problemOf(await secondStep(other.region, other.tenant, { mfaToken: first.mfaToken, code: totpCode(secret, 1) }), 401, "invalid_credentials");
    const usTenant = await adminFixture({}, us);
    await problemOf(await secondStep(us, usTenant.tenant, { mfaToken: first.mfaToken, code: totpCode(secret, 1) }), 401, "invalid_credentials");
    expect((await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: totpCode(secret, 1) })).status).toBe(200);
    await codeStepPassed(f.region, user.id);
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: totpCode(secret) }), 401, "invalid_credentials");
  });

  it("M L wrong codes count toward the lockout: the tenant's maxAttempts of them lock the account", async () => {
    const { f, user } = await personWithTotp();
    await f.region.db.prepare("UPDATE tenants SET lockout_max_attempts = 3 WHERE id = ?").bind(f.tenantId).run();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: "000000" }), 401, "invalid_credentials");
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: "000001" }), 401, "invalid_credentials");
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: "000002" }), 429, "account_locked");
    // Locked: the password is refused too until the lock ends.
    const again = await eu.fetch(`/t/${f.tenant}/sign-in`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ login: user.username, password: PASSWORD, clientId: "printid-mobile" }) });
    expect(again.status).toBe(429);
  });

  it("M a recovery code finishes the second step once; amr says kba", async () => {
    const { f, user, recoveryCodes } = await personWithTotp();
    const [code] = recoveryCodes!;
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    const response = await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, recoveryCode: code!.toUpperCase() });
    expect(response.status).toBe(200);
    expect(decodeJwt(((await response.json()) as { id_token: string }).id_token).amr).toEqual(["pwd", "kba", "mfa"]);
    const second = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: second.mfaToken, recoveryCode: code }), 401, "invalid_credentials");
  });

  it("M L every step is recorded: the first with mfa_required, the second with its factor", async () => {
    const { f, user, secret } = await personWithTotp();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: "123456" });
    await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: totpCode(secret, 1) });
    const rows = await f.region.db
      .prepare("SELECT code, factor, method FROM sign_in_attempts WHERE user_id = ? ORDER BY id DESC LIMIT 3")
      .bind(user.id)
      .all();
    expect(rows.results).toEqual([
      { code: null, factor: "totp", method: "password" },
      { code: "invalid_credentials", factor: "totp", method: "password" },
      { code: "mfa_required", factor: null, method: "password" },
    ]);
  });
});
