import type { FactorType, Tenant, UserProfile } from "../db/schema";
import type { Scope } from "../http/context";
import type { SessionGrant } from "../tokens/issue";
import { amrOfMethod, passedSecondStep, withRememberedDevice } from "./amr";
import { mfaRequired, openChallenge } from "./challenges";
import { enrolledFactors } from "./enrolled";
import { secondFactorOwed } from "./policy";
import { isRemembered } from "./remembered";

/**
 * Whether a person who authenticated so (`amr`) still owes a second factor under the tenant's policy as it
 * is now: undefined when not (two factors already, a device the gate remembered (`rba`, set there only),
 * the policy off, nothing owed), else the factors they can answer with (none: they must set one up).
 */
export async function factorsOwed(scope: Scope, tenant: Tenant, user: UserProfile, amr: readonly string[]): Promise<FactorType[] | undefined> {
  if (passedSecondStep(amr) || tenant.mfa.mode === "off") return undefined;
  const enrolled = await enrolledFactors(scope.db, tenant, user.id);
  return secondFactorOwed(tenant, user, enrolled) ? enrolled : undefined;
}

/** What a sign-in would open, as the gate needs it: the session opener's grant, its time of authentication fixed. */
export type GatedSignIn = Omit<SessionGrant, "attempt"> & { authTime: Date };

/**
 * Rule M, the one gate every token passes (tokens/issue.ts calls it before any session opens, whichever
 * route asked): a sign-in that already holds two factors (a passkey, card and PIN, a second step passed,
 * a code or approval that carried them) goes on; otherwise, when the tenant's policy says the person owes
 * a second factor and the device is not remembered, what would have opened waits in a challenge and the
 * answer is `401 mfa_required` with its token. Returns the session's `amr`.
 */
export async function secondFactorGate(scope: Scope, sign: GatedSignIn, opening: { kind: "session" | "panel"; seconds: number | null }): Promise<string[]> {
  const { db } = scope;
  const { tenant, user } = sign;
  const amr = sign.amr ?? amrOfMethod(sign.method);
  const enrolled = await factorsOwed(scope, tenant, user, amr);
  if (!enrolled) return amr;
  if (sign.rememberToken && enrolled.length > 0 && (await isRemembered(db, tenant, user.id, sign.rememberToken))) return withRememberedDevice(amr);
  const token = await openChallenge(db, tenant, user.id, {
    purpose: "sign-in",
    kind: opening.kind,
    clientId: sign.clientId,
    method: sign.method,
    scope: sign.scope,
    nonce: sign.nonce ?? null,
    authTime: sign.authTime.getTime(),
    sessionId: sign.sessionId ?? null,
    amr,
    seconds: opening.seconds,
  });
  throw mfaRequired(token, enrolled);
}
