import { and, eq } from "drizzle-orm";
import { secondFactors, type FactorType, type Tenant, type UserProfile } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import { enrolledFactors } from "./enrolled";
import { passkeysOf, registerPasskey, removePasskey, type Passkey } from "./passkeys";
import { factorRequired } from "./policy";
import { replaceRecoveryCodes } from "./recovery-codes";
import { useTotpCode } from "./totp";

/**
 * The rules of a person's own factors (rule M), for the API (factor-routes.ts) and the account pages alike:
 * what may be set up, what a first factor brings (recovery codes), what may be removed. Whether the change
 * needs a fresh second factor first is the caller's to ask (step-up.ts), before calling these.
 */

/** Recovery codes when the person had no factor before this one: shown once, with it. */
async function withFirstFactorCodes(scope: Scope, tenant: Tenant, userId: string, wasFirst: boolean): Promise<{ recoveryCodes?: string[] }> {
  return wasFirst ? { recoveryCodes: await replaceRecoveryCodes(scope.db, await scope.config.lookupKey(), tenant.id, userId) } : {};
}

export function requireAllowed(tenant: Tenant, type: FactorType): void {
  if (!tenant.mfa.factors.includes(type)) throw new AppError("forbidden", { detail: `This tenant does not allow ${type} as a second factor` });
}

/** Confirms the app being set up with its first code; undefined when the code is wrong (or none is being set up). */
export async function confirmApp(scope: Scope, tenant: Tenant, userId: string, code: string): Promise<{ recoveryCodes?: string[] } | undefined> {
  const first = (await enrolledFactors(scope.db, tenant, userId)).length === 0;
  if (!(await useTotpCode(scope.db, await scope.config.secretBoxKey(), userId, code, false))) return undefined;
  return withFirstFactorCodes(scope, tenant, userId, first);
}

/** E-mail codes need the tenant's leave and a confirmed address. */
export function requireEmailCodesPossible(tenant: Tenant, user: UserProfile): void {
  requireAllowed(tenant, "email");
  if (!user.email || !user.emailVerified) throw new AppError("forbidden", { detail: "E-mail codes need a confirmed address: confirm it first" });
}

/** E-mail codes, to the person's confirmed address: set up at once (the address is already proven). */
export async function addEmailCodes(scope: Scope, tenant: Tenant, user: UserProfile): Promise<{ recoveryCodes?: string[] }> {
  requireEmailCodesPossible(tenant, user);
  const first = (await enrolledFactors(scope.db, tenant, user.id)).length === 0;
  const now = new Date();
  await scope.db
    .insert(secondFactors)
    .values({ id: crypto.randomUUID(), tenantId: tenant.id, userId: user.id, type: "email", confirmedAt: now, createdAt: now })
    .onConflictDoUpdate({ target: [secondFactors.userId, secondFactors.type], set: { confirmedAt: now } });
  return withFirstFactorCodes(scope, tenant, user.id, first);
}

/** Refuses new recovery codes to a person with no factor (they come with one). */
export async function requireAFactor(scope: Scope, tenant: Tenant, userId: string): Promise<void> {
  if ((await enrolledFactors(scope.db, tenant, userId)).length === 0) {
    throw new AppError("forbidden", { detail: "Recovery codes come with a second factor: set one up first" });
  }
}

/** What a removal names: the app, e-mail codes, or one passkey. */
export type RemovedFactor = { type: "totp" | "email" } | { type: "passkey"; id: string };

/**
 * Whether removing `type` (one passkey of `passkeys` when it is a passkey) leaves the person without a
 * factor: what a tenant that requires one refuses, and what the pages do not offer.
 */
export const leavesNone = (enrolled: readonly FactorType[], type: FactorType, passkeys: number) =>
  enrolled.length === 1 && enrolled[0] === type && (type !== "passkey" || passkeys === 1);

/** Refuses removing a factor the person lacks (404), or the last one while the tenant requires one (403). */
export async function requireRemovable(scope: Scope, tenant: Tenant, user: UserProfile, target: RemovedFactor): Promise<void> {
  const [enrolled, held] = await Promise.all([enrolledFactors(scope.db, tenant, user.id), passkeysOf(scope.db, tenant.id, user.id)]);
  const has = target.type === "passkey" ? held.some((passkey) => passkey.id === target.id) : enrolled.includes(target.type);
  if (!has) throw new AppError("not_found", { detail: "No such factor is set up" });
  if (factorRequired(tenant, user) && leavesNone(enrolled, target.type, held.length)) {
    throw new AppError("forbidden", { detail: "This tenant requires a second factor: set up another before removing this one" });
  }
}

/** Removes the factor (the caller has asked requireRemovable, and a fresh second factor). */
export async function removeFactor(scope: Scope, tenant: Tenant, userId: string, target: RemovedFactor): Promise<void> {
  if (target.type === "passkey") await removePasskey(scope.db, tenant.id, userId, target.id);
  else await scope.db.delete(secondFactors).where(and(eq(secondFactors.userId, userId), eq(secondFactors.type, target.type)));
}

/** Keeps a new passkey (its options were asked after a fresh factor); a first factor brings recovery codes. */
export async function addPasskey(
  scope: Scope,
  tenant: Tenant,
  userId: string,
  name: string,
  response: Parameters<typeof registerPasskey>[5],
): Promise<{ passkey: Passkey; recoveryCodes?: string[] }> {
  const first = (await enrolledFactors(scope.db, tenant, userId)).length === 0;
  const passkey = await registerPasskey(scope.db, scope.config, tenant, userId, name, response);
  return { passkey, ...(await withFirstFactorCodes(scope, tenant, userId, first)) };
}
