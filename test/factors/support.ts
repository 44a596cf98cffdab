// Second factors as their tests need them (issue 16): a person with an authenticator app set up through
// the API, the codes the app would show (RFC 6238, computed here like an app computes them), the first
// step of a sign-in that answers `mfa_required`, and its second step.
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { expect } from "vitest";
import type { Region } from "../support/regions";
import { json } from "../support/tenants";
import { CLIENT_ID, signIn } from "../support/users";

/** The 6-digit code an authenticator app shows for `secret` (base32), `steps` 30-second steps from now. */
export function totpCode(secret: string, steps = 0): string {
  const step = Math.floor(Date.now() / 30_000) + steps;
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(step), 6);
}

export interface MfaRequired {
  code: string;
  mfaToken: string;
  factors: string[];
  enrol: boolean;
}

/** A sign-in with the password that must answer `401 mfa_required`: its body. */
export async function firstStep(region: Region, tenant: string, login: string, password: string, more: Record<string, unknown> = {}): Promise<MfaRequired> {
  const response = await signIn(region, tenant, { login, password, ...more });
  expect(response.status, await response.clone().text()).toBe(401);
  const body = (await response.json()) as MfaRequired;
  expect(body.code).toBe("mfa_required");
  return body;
}

/** POST /t/{tenant}/sign-in/mfa with this answer. */
export function secondStep(region: Region, tenant: string, answer: Record<string, unknown>) {
  return region.fetch(`/t/${tenant}/sign-in/mfa`, json(answer));
}

/** Sets up an authenticator app for the signed-in person (`auth`): its secret, and the recovery codes of a first factor. */
export async function enrolTotp(region: Region, tenant: string, auth: Record<string, string>, stepUp: Record<string, unknown> = {}) {
  const started = await region.fetch(`/t/${tenant}/me/factors/totp`, json(stepUp, auth));
  expect(started.status, await started.clone().text()).toBe(200);
  const { secret, uri, qrSvg } = (await started.json()) as { secret: string; uri: string; qrSvg: string };
  const confirmed = await region.fetch(`/t/${tenant}/me/factors/totp/confirm`, json({ code: totpCode(secret) }, auth));
  expect(confirmed.status, await confirmed.clone().text()).toBe(200);
  const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes?: string[] };
  return { secret, uri, qrSvg, recoveryCodes };
}

/** Forgets the step the app's last code was spent for, as if its 30 seconds had passed (time is not waited for). */
export async function codeStepPassed(region: Region, userId: string) {
  await region.db.prepare("UPDATE second_factors SET last_used_step = last_used_step - 3 WHERE user_id = ? AND type = 'totp'").bind(userId).run();
}

export { CLIENT_ID };

/**
 * A change that needs a fresh second factor (rule M): made once, and when it answers `401 mfa_required`,
 * made again with its mfaToken and the answer `answer` gives for that token.
 */
export async function withFreshFactor(
  change: (body: Record<string, unknown>) => Promise<Response>,
  answer: (mfaToken: string) => Promise<Record<string, unknown>>,
): Promise<Response> {
  const first = await change({});
  if (first.status !== 401) return first;
  const problem = (await first.clone().json()) as { code: string; mfaToken?: string };
  if (problem.code !== "mfa_required" || !problem.mfaToken) return first;
  return change({ mfaToken: problem.mfaToken, ...(await answer(problem.mfaToken)) });
}

/** POST …/sign-in/mfa/passkey: the options a passkey answers for the second step `mfaToken` names. */
export async function secondStepPasskeyOptions(region: Region, tenant: string, mfaToken: string) {
  const response = await region.fetch(`/t/${tenant}/sign-in/mfa/passkey`, json({ mfaToken }));
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}
