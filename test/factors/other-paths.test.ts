// Rule M where a person is present besides the sign-in forms (issue 16 point 3): a passkey as the second
// step, a printer's panel (a PIN alone owes the second factor, a card and its PIN are two), a device's
// approval from the app (the approver's session carries its factor, or a fresh one is asked).
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { adminFixture, patchSettings } from "../support/admin";
import { problemOf } from "../support/problems";
import { json } from "../support/tenants";
import { bearer, PASSWORD, seedUser, tokensFor } from "../support/users";
import { SoftwarePasskey, type CreationOptions, type RequestOptions } from "../support/webauthn";
import { authorizeDevice, decide, lastPolledAgo, poll, registerDevice } from "../devices/support";
import { cardOf, panelSignIn } from "../panel/support";
import { codeStepPassed, enrolTotp, firstStep, secondStep, secondStepPasskeyOptions, totpCode, withFreshFactor } from "./support";

async function personWithPasskey() {
  const f = await adminFixture();
  const user = await seedUser(f.region, f.tenantId);
  const auth = bearer((await tokensFor(f.region, f.tenant, user.username)).access_token);
  const passkey = await SoftwarePasskey.create(f.region.origin);
  const options = (await (await f.region.fetch(`/t/${f.tenant}/me/factors/passkeys/options`, json({}, auth))).json()) as CreationOptions;
  const added = await f.region.fetch(`/t/${f.tenant}/me/factors/passkeys`, json({ name: "Laptop", response: await passkey.attestation(options) }, auth));
  expect(added.status).toBe(201);
  expect(((await added.json()) as { recoveryCodes?: string[] }).recoveryCodes).toHaveLength(10);
  return { f, user, auth, passkey };
}

describe("a passkey as the second step", () => {
  it("M a passkey answers the second step of a password sign-in: amr [pwd, hwk, mfa]", async () => {
    const { f, user, passkey } = await personWithPasskey();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    expect(first.factors).toEqual(["passkey"]);
    const options = (await secondStepPasskeyOptions(f.region, f.tenant, first.mfaToken)) as RequestOptions;
    const finished = await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, webauthnResponse: await passkey.assertion(options) });
    expect(finished.status, await finished.clone().text()).toBe(200);
    expect(decodeJwt(((await finished.json()) as { id_token: string }).id_token).amr).toEqual(["pwd", "hwk", "mfa"]);
  });

  it("M a wrong key, a replayed assertion, or options of another person's step are refused", async () => {
    const { f, user, passkey } = await personWithPasskey();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    const options = (await secondStepPasskeyOptions(f.region, f.tenant, first.mfaToken)) as RequestOptions;
    const impostor = await SoftwarePasskey.create(f.region.origin);
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, webauthnResponse: await impostor.assertion(options) }), 401, "invalid_credentials");
    const assertion = await passkey.assertion((await secondStepPasskeyOptions(f.region, f.tenant, first.mfaToken)) as RequestOptions);
    expect((await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, webauthnResponse: assertion })).status).toBe(200);
    const again = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await problemOf(await secondStep(f.region, f.tenant, { mfaToken: again.mfaToken, webauthnResponse: assertion }), 401, "invalid_credentials");
  });

  it("T an mfaToken of another tenant gets no passkey options", async () => {
    const { f, user } = await personWithPasskey();
    const other = await adminFixture();
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await problemOf(await other.region.fetch(`/t/${other.tenant}/sign-in/mfa/passkey`, json({ mfaToken: first.mfaToken })), 401, "invalid_credentials");
  });
});

describe("at a printer's panel", () => {
  async function panelWorld() {
    const f = await adminFixture();
    const user = await seedUser(f.region, f.tenantId);
    const auth = bearer((await tokensFor(f.region, f.tenant, user.username)).access_token);
    const pin = ((await (await f.region.fetch(`/t/${f.tenant}/me/pin`, json({}, auth))).json()) as { pin: string }).pin;
    const { secret } = await enrolTotp(f.region, f.tenant, auth);
    const panel = await registerDevice(f, { name: "Panel", kind: "panel" });
    return { f: { ...f, panel }, user, pin, secret };
  }

  it("M a PIN alone owes the second factor: 401 mfa_required, then the app's code opens the panel's short session (no refresh token)", async () => {
    const { f, user, pin, secret } = await panelWorld();
    const first = await panelSignIn(f, { pin });
    expect(first.status).toBe(401);
    const { mfaToken } = (await first.json()) as { mfaToken: string };
    await codeStepPassed(f.region, user.id);
    const finished = await secondStep(f.region, f.tenant, { mfaToken, code: totpCode(secret) });
    expect(finished.status, await finished.clone().text()).toBe(200);
    const tokens = (await finished.json()) as { expires_in: number; refresh_token?: string; access_token: string };
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.expires_in).toBe(300);
    expect(decodeJwt(tokens.access_token).client_id).toBe(f.panel.id);
  });

  it("M a card and its holder's PIN are two factors: no second step", async () => {
    const { f, user, pin } = await panelWorld();
    expect((await patchSettings(f, { panel: { cardNeedsPin: true } })).status).toBe(200);
    await cardOf(f, user.id, "TWOFACTS");
    const response = await panelSignIn(f, { card: "TWOFACTS", pin });
    expect(response.status, await response.clone().text()).toBe(200);
  });
});

describe("a device's approval from the app", () => {
  it("M a person who owes a factor and whose session did not pass one proves a fresh one to approve; the device's session carries it", async () => {
    const f = await adminFixture();
    const user = await seedUser(f.region, f.tenantId);
    // Signed in before the tenant asked for factors: the session holds the password only.
    const auth = bearer((await tokensFor(f.region, f.tenant, user.username)).access_token);
    const { secret } = await enrolTotp(f.region, f.tenant, auth);
    expect((await patchSettings(f, { mfa: { mode: "all" } })).status).toBe(200);
    const device = await registerDevice(f);
    const codes = await authorizeDevice(f, device);
    const approve = (body: Record<string, unknown>) => f.region.fetch(`/t/${f.tenant}/device/approve`, json({ userCode: codes.user_code, ...body }, auth));
    await problemOf(await approve({}), 401, "mfa_required");
    await codeStepPassed(f.region, user.id);
    expect((await withFreshFactor(approve, async () => ({ code: totpCode(secret) }))).status).toBe(200);
    await lastPolledAgo(f.region, codes.device_code, 6);
    const polled = await poll(f, device, codes.device_code);
    expect(polled.status, await polled.clone().text()).toBe(200);
    expect(decodeJwt(((await polled.json()) as { id_token: string }).id_token).amr).toEqual(["pwd", "otp", "mfa"]);
  });

  it("M a session that passed the second step approves as it is", async () => {
    const f = await adminFixture();
    const user = await seedUser(f.region, f.tenantId);
    const { secret } = await enrolTotp(f.region, f.tenant, bearer((await tokensFor(f.region, f.tenant, user.username)).access_token));
    const first = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    const tokens = (await (await secondStep(f.region, f.tenant, { mfaToken: first.mfaToken, code: totpCode(secret, 1) })).json()) as { access_token: string };
    const device = await registerDevice(f);
    const codes = await authorizeDevice(f, device);
    expect((await decide(f, "approve", codes.user_code, bearer(tokens.access_token))).status).toBe(200);
  });
});
