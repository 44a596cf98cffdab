/**
 * How a person authenticated, as the ID token's `amr` says it (RFC 8176's values where one fits): the
 * first factor from the sign-in's method, then the second factor's, and `mfa` once there are two. The one
 * home of these words: sessions, codes and device approvals carry the list as it was made here.
 */

const firstFactorAmr: Record<string, string[]> = {
  password: ["pwd"],
  pin: ["pin"],
  card: ["sc"],
  // A passkey is something held and, with user verification, something known or biometric: two factors in one.
  passkey: ["hwk", "user", "mfa"],
};

/** The first factor's `amr`: a provider's sign-in is `fed` (none of RFC 8176's values describes it). */
export function amrOfMethod(method: string): string[] {
  return firstFactorAmr[method] ?? ["fed"];
}

/**
 * A provider's sign-in: `fed`, and `mfa` too when the provider says its own sign-in took several factors
 * (its ID token's `amr`) and the tenant trusts that (`trustProviderMfa`); otherwise the second step is printid's.
 */
export function amrOfProvider(trustProviderMfa: boolean, providerAmr: unknown): string[] {
  const providerMfa = Array.isArray(providerAmr) && providerAmr.includes("mfa");
  return trustProviderMfa && providerMfa ? ["fed", "mfa"] : ["fed"];
}

/** The second factors a person may use, and their `amr`. */
export const secondFactorAmr = {
  totp: "otp",
  email: "email",
  passkey: "hwk",
  recovery: "kba",
} as const;
export type SecondFactorUsed = keyof typeof secondFactorAmr;

/** A first factor's `amr` with a second factor added: `mfa` says there were two. */
export function withSecondFactor(amr: readonly string[], factor: SecondFactorUsed): string[] {
  return [...new Set([...amr, secondFactorAmr[factor], "mfa"])];
}

/** Whether an `amr` already holds two factors (a passkey, card and PIN, a second step passed). */
export const isMultiFactor = (amr: readonly string[] | null | undefined) => Boolean(amr?.includes("mfa"));

/**
 * A sign-in that skipped the second step on a device it remembered (RFC 8176 `rba`, risk-based: the
 * device passed the step before): the first factor's `amr` and `rba`.
 */
export const REMEMBERED = "rba";
export const withRememberedDevice = (amr: readonly string[]) => [...new Set([...amr, REMEMBERED])];

/** Whether a session passed the second step, now or on a device it remembered. */
export const passedSecondStep = (amr: readonly string[] | null | undefined) => isMultiFactor(amr) || Boolean(amr?.includes(REMEMBERED));
