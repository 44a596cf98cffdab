// Rule M's policies and the factors besides the app (issue 16): who owes a second factor under each of the
// tenant's modes, which factors it allows, e-mail codes (valid, wrong, replayed, expired, another tenant's),
// remember-this-device, a first factor set up within the sign-in that asks for it, changes that need a
// fresh factor, a password reset by link, the admin's reset. Holes closed: a policy that lets an admin
// through without a factor, a mailed code that works twice or for another sign-in, a remembered device
// of another person or tenant, a stolen session that swaps the factors, a mailed reset link that skips
// the second factor.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { adminFixture, patchSettings, type AdminFixture } from "../support/admin";
import { codeOf, freshAddress, mailTo, nthMailTo } from "../support/mail";
import { problemOf } from "../support/problems";
import { json } from "../support/tenants";
import { bearer, PASSWORD, seedUser, signIn, tokensFor } from "../support/users";
import { codeStepPassed, enrolTotp, firstStep, secondStep, totpCode, withFreshFactor } from "./support";

async function person(f: AdminFixture, seed: Parameters<typeof seedUser>[2] = {}) {
  const user = await seedUser(f.region, f.tenantId, seed);
  return { user, auth: bearer((await tokensFor(f.region, f.tenant, user.username)).access_token) };
}

const setMode = (f: AdminFixture, mfa: Record<string, unknown>) => patchSettings(f, { mfa });

describe("the tenant's policy", () => {
  it("M optional (the default): only a person who set up a factor is asked; the others sign in as before", async () => {
    const f = await adminFixture();
    const plain = await person(f);
    const withApp = await person(f);
    await enrolTotp(f.region, f.tenant, withApp.auth);
    expect((await signIn(f.region, f.tenant, { login: plain.user.username, password: PASSWORD })).status).toBe(200);
    await firstStep(f.region, f.tenant, withApp.user.username, PASSWORD);
  });

  it("M off: nobody is asked, even a person who set up a factor", async () => {
    const f = await adminFixture();
    const withApp = await person(f);
    await enrolTotp(f.region, f.tenant, withApp.auth);
    expect((await setMode(f, { mode: "off" })).status).toBe(200);
    expect((await signIn(f.region, f.tenant, { login: withApp.user.username, password: PASSWORD })).status).toBe(200);
  });

  it("M admins: the tenant's admins owe a factor (and must set one up first); others only if they set one up", async () => {
    const f = await adminFixture();
    const plain = await person(f);
    expect((await setMode(f, { mode: "admins" })).status).toBe(200);
    const admin = await firstStep(f.region, f.tenant, "admin", PASSWORD);
    expect(admin).toMatchObject({ factors: [], enrol: true });
    expect((await signIn(f.region, f.tenant, { login: plain.user.username, password: PASSWORD })).status).toBe(200);
  });

  it("M all: everyone owes a factor; a person without one sets up an authenticator app within the sign-in, and gets tokens and recovery codes", async () => {
    const f = await adminFixture();
    const { user } = await person(f);
    expect((await setMode(f, { mode: "all" })).status).toBe(200);
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    expect(first.enrol).toBe(true);
    const enrolled = await f.region.fetch(`/t/${f.tenant}/sign-in/mfa/enrol`, json({ mfaToken: first.mfaToken, type: "totp" }));
    expect(enrolled.status).toBe(200);
    const { secret } = (await enrolled.json()) as { secret: string };
    const finished = await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: totpCode(secret) });
    expect(finished.status, await finished.clone().text()).toBe(200);
    const body = (await finished.json()) as { id_token: string; recoveryCodes: string[] };
    expect(body.recoveryCodes).toHaveLength(10);
    expect(decodeJwt(body.id_token).amr).toEqual(["pwd", "otp", "mfa"]);
    // From now on the app is asked like any enrolled factor.
    expect((await firstStep(f.region, f.tenant, user.username, PASSWORD)).factors).toEqual(["totp"]);
  });

  it("M a factor the tenant no longer allows is not asked for; setting one up is refused (403)", async () => {
    const f = await adminFixture();
    const withApp = await person(f);
    await enrolTotp(f.region, f.tenant, withApp.auth);
    expect((await setMode(f, { factors: ["email"] })).status).toBe(200);
    expect((await signIn(f.region, f.tenant, { login: withApp.user.username, password: PASSWORD })).status).toBe(200);
    const other = await person(f);
    await problemOf(await f.region.fetch(`/t/${f.tenant}/me/factors/totp`, json({}, other.auth)), 403, "forbidden");
  });
});

describe("e-mail codes", () => {
  async function personWithEmailFactor() {
    const f = await adminFixture();
    const address = freshAddress("mfa");
    const user = await seedUser(f.region, f.tenantId, { email: address });
    await f.region.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    const auth = bearer((await tokensFor(f.region, f.tenant, user.username)).access_token);
    const added = await f.region.fetch(`/t/${f.tenant}/me/factors/email`, json({}, auth));
    expect(added.status, await added.clone().text()).toBe(201);
    return { f, user, address, auth };
  }

  const mailCode = (f: AdminFixture, mfaToken: string) => f.region.fetch(`/t/${f.tenant}/sign-in/mfa/email`, json({ mfaToken }));

  it("M a code is mailed for the sign-in, works once, and says email in amr", async () => {
    const { f, user, address } = await personWithEmailFactor();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    expect(first.factors).toEqual(["email"]);
    expect((await mailCode(f, first.mfaToken)).status).toBe(202);
    const code = codeOf(await nthMailTo(address));
    const finished = await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code });
    expect(decodeJwt(((await finished.json()) as { id_token: string }).id_token).amr).toEqual(["pwd", "email", "mfa"]);
    // Replayed with another sign-in's step: refused.
    const again = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: again.mfaToken, code }), 401, "invalid_credentials");
  });

  it("M a wrong code, an expired code, or a code of another sign-in is refused", async () => {
    const { f, user, address } = await personWithEmailFactor();
    const one = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    const two = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await mailCode(f, one.mfaToken);
    const code = codeOf(await nthMailTo(address));
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: two.mfaToken, code }), 401, "invalid_credentials");
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: one.mfaToken, code: code === "000000" ? "000001" : "000000" }), 401, "invalid_credentials");
    await f.region.db.prepare("UPDATE mfa_challenges SET email_code_expires_at = ? WHERE email_code_hash IS NOT NULL AND user_id = ?").bind(Date.now() - 1, user.id).run();
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: one.mfaToken, code }), 401, "invalid_credentials");
  });

  it("T an e-mail code asked with an mfaToken of another tenant is refused, and nothing is mailed", async () => {
    const { f, user, address } = await personWithEmailFactor();
    const other = await adminFixture();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await problemOf(await mailCode(other, first.mfaToken), 401, "invalid_credentials");
    expect(await mailTo(address)).toHaveLength(0);
  });

  it("M e-mail codes need a confirmed address (403)", async () => {
    const f = await adminFixture();
    const { auth } = await person(f);
    await problemOf(await f.region.fetch(`/t/${f.tenant}/me/factors/email`, json({}, auth)), 403, "forbidden");
  });
});

describe("remember this device", () => {
  async function remembered() {
    const f = await adminFixture();
    const { user, auth } = await person(f);
    const { secret } = await enrolTotp(f.region, f.tenant, auth);
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    const finished = await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: totpCode(secret, 1), rememberDevice: true });
    const { rememberToken } = (await finished.json()) as { rememberToken: string };
    expect(rememberToken).toEqual(expect.any(String));
    return { f, user, secret, rememberToken };
  }

  it("M the remember token skips the second step for its person (amr says rba); without it, or for another person, the step is asked", async () => {
    const { f, user, rememberToken } = await remembered();
    const skipped = await signIn(f.region, f.tenant, { login: user.username, password: PASSWORD, rememberToken });
    expect(skipped.status).toBe(200);
    expect(decodeJwt(((await skipped.json()) as { id_token: string }).id_token).amr).toEqual(["pwd", "rba"]);
    await firstStep(f.region, f.tenant, user.username, PASSWORD);
    const other = await person(f);
    await enrolTotp(f.region, f.tenant, other.auth);
    await firstStep(f.region, f.tenant, other.user.username, PASSWORD, { rememberToken });
  });

  it("T a remember token of one tenant skips nothing in another", async () => {
    const { rememberToken } = await remembered();
    const elsewhere = await adminFixture();
    const there = await person(elsewhere);
    await enrolTotp(elsewhere.region, elsewhere.tenant, there.auth);
    await firstStep(elsewhere.region, elsewhere.tenant, there.user.username, PASSWORD, { rememberToken });
  });

  it("M the token is nothing past the tenant's days (as they are now), or after the person's factors are reset", async () => {
    const { f, user, rememberToken } = await remembered();
    // The tenant shortens its days: a token older than them no longer counts.
    await f.region.db.prepare("UPDATE remembered_devices SET created_at = ? WHERE user_id = ?").bind(Date.now() - 8 * 86_400_000, user.id).run();
    expect((await setMode(f, { rememberDays: 7 })).status).toBe(200);
    await firstStep(f.region, f.tenant, user.username, PASSWORD, { rememberToken });
    const second = await remembered();
    const reset = await second.f.region.fetch(`/t/${second.f.tenant}/admin/users/${second.user.id}/factors`, { method: "DELETE", headers: second.f.auth });
    expect(reset.status).toBe(204);
    await enrolTotp(second.f.region, second.f.tenant, bearer((await tokensFor(second.f.region, second.f.tenant, second.user.username)).access_token));
    await firstStep(second.f.region, second.f.tenant, second.user.username, PASSWORD, { rememberToken: second.rememberToken });
  });
});

describe("changes that need a fresh second factor", () => {
  it("M a person with a factor changing their factors is asked a fresh one (401 mfa_required), then the same request with the code goes through", async () => {
    const f = await adminFixture();
    const { user, auth } = await person(f);
    const { secret } = await enrolTotp(f.region, f.tenant, auth);
    const newCodes = (body: Record<string, unknown>) => f.region.fetch(`/t/${f.tenant}/me/factors/recovery-codes`, json(body, auth));
    await problemOf(await newCodes({}), 401, "mfa_required");
    await codeStepPassed(f.region, user.id);
    const response = await withFreshFactor(newCodes, async () => ({ code: totpCode(secret) }));
    expect(response.status, await response.clone().text()).toBe(200);
    expect(((await response.json()) as { recoveryCodes: string[] }).recoveryCodes).toHaveLength(10);
  });

  it("M a fresh factor is bound to its session and purpose: another session's mfaToken is refused", async () => {
    const f = await adminFixture();
    const { user, auth } = await person(f);
    const { secret } = await enrolTotp(f.region, f.tenant, auth);
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await codeStepPassed(f.region, user.id);
    // A sign-in's mfaToken is no step-up token.
    await problemOf(await f.region.fetch(`/t/${f.tenant}/me/factors/recovery-codes`, json({ mfaToken: first.mfaToken, code: totpCode(secret) }, auth)), 401, "invalid_credentials");
  });

  it("M removing the last factor is refused while the tenant requires one (403); removing it is allowed otherwise", async () => {
    const f = await adminFixture();
    const { user, auth } = await person(f);
    const { secret } = await enrolTotp(f.region, f.tenant, auth);
    const remove = (body: Record<string, unknown>) => f.region.fetch(`/t/${f.tenant}/me/factors/totp`, { ...json(body, auth), method: "DELETE" });
    expect((await setMode(f, { mode: "all" })).status).toBe(200);
    await problemOf(await remove({}), 403, "forbidden");
    expect((await setMode(f, { mode: "optional" })).status).toBe(200);
    await codeStepPassed(f.region, user.id);
    expect((await withFreshFactor(remove, async () => ({ code: totpCode(secret) }))).status).toBe(204);
    expect((await signIn(f.region, f.tenant, { login: user.username, password: PASSWORD })).status).toBe(200);
  });

  it("M a password reset by mailed link asks the person's second factor; the link alone does not reset", async () => {
    const f = await adminFixture();
    const address = freshAddress("reset");
    const user = await seedUser(f.region, f.tenantId, { email: address });
    await f.region.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    const auth = bearer((await tokensFor(f.region, f.tenant, user.username)).access_token);
    const { secret } = await enrolTotp(f.region, f.tenant, auth);
    expect((await f.region.fetch(`/t/${f.tenant}/password/forgot`, json({ login: address }))).status).toBe(202);
    const mail = await nthMailTo(address);
    const token = /token=([^\s&]+)/.exec(mail.text)![1]!;
    const reset = (body: Record<string, unknown>) => f.region.fetch(`/t/${f.tenant}/password/reset`, json({ token: decodeURIComponent(token), newPassword: "a brand new passphrase", ...body }));
    await problemOf(await reset({}), 401, "mfa_required");
    await codeStepPassed(f.region, user.id);
    expect((await withFreshFactor(reset, async () => ({ code: totpCode(secret) }))).status).toBe(204);
    await firstStep(f.region, f.tenant, user.username, "a brand new passphrase");
  });
});

describe("the admin's reset", () => {
  it("M P an admin resets a person's factors: they go, with the recovery codes, and every session of the person ends", async () => {
    const f = await adminFixture();
    const { user, auth } = await person(f);
    await enrolTotp(f.region, f.tenant, auth);
    const listed = await f.region.fetch(`/t/${f.tenant}/admin/users/${user.id}/factors`, { headers: f.auth });
    expect(await listed.json()).toMatchObject({ factors: [{ type: "totp" }], passkeys: [], recoveryCodesLeft: 10 });
    expect((await f.region.fetch(`/t/${f.tenant}/admin/users/${user.id}/factors`, { method: "DELETE", headers: f.auth })).status).toBe(204);
    expect((await f.region.fetch(`/t/${f.tenant}/me`, { headers: auth })).status).toBe(401);
    expect((await signIn(f.region, f.tenant, { login: user.username, password: PASSWORD })).status).toBe(200);
  });

  it("T an admin cannot see or reset the factors of another tenant's person (404)", async () => {
    const f = await adminFixture();
    const other = await adminFixture();
    const { user } = await person(other);
    await problemOf(await f.region.fetch(`/t/${f.tenant}/admin/users/${user.id}/factors`, { method: "DELETE", headers: f.auth }), 404, "not_found");
  });
});
