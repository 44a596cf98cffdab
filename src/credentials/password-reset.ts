import { and, eq, sql } from "drizzle-orm";
import { issueAccountToken, sentSince, spendToken, unspent, unusableLink, userOfProof } from "../accounts/account-tokens";
import { userOfLogin } from "./lockout";
import { users, type Tenant } from "../db/schema";
import type { Scope } from "../http/context";
import { validationFailed } from "../http/validation";
import type { Locale } from "../hosted/i18n";
import { mailProof } from "../mail/proof";
import { revokeUserSessions } from "../tokens/sessions";
import { hashPassword } from "./password";
import { passwordReuseProblem } from "./password-policy";
import type { Answer } from "../factors/second-step";
import { requireSecondFactorFor } from "../factors/step-up";

/** How long a reset link works. */
const RESET_LIFETIME_MS = 30 * 60_000;
/** A second request within this long of a link sends nothing more (the answer is the same). */
const RESEND_PAUSE_MS = 60_000;

/**
 * POST /password/forgot: a reset link to the account's address, only if that address is proven (rule E:
 * a link to an unproven address would hand the account to whoever typed it). The login resolves as at
 * sign-in (the username wins over an e-mail). The route answers 202 before this runs, whatever it finds.
 */
export async function mailPasswordReset(scope: Scope, tenant: Tenant, login: string, locale: Locale): Promise<void> {
  const { db } = scope;
  const user = await db
    .select({ id: users.id, email: users.email, emailVerified: users.emailVerified })
    .from(users)
    .where(sql`${users.id} = ${userOfLogin(tenant.id, login)}`)
    .get();
  if (!user?.email || !user.emailVerified) return;
  if (await sentSince(db, user.id, "reset_password", new Date(Date.now() - RESEND_PAUSE_MS))) return;
  const token = await issueAccountToken(db, { tenantId: tenant.id, userId: user.id, purpose: "reset_password", email: user.email, lifetimeMs: RESET_LIFETIME_MS });
  await mailProof(scope.env, scope.config, tenant, { kind: "resetPassword", locale, to: user.email, token });
}

/**
 * POST /password/reset: the new password (the password policy applies), after a fresh second factor
 * when the person has one (rule M), in one batch with what a reset
 * must also do: every session of the user ends, the lockout is cleared (and a temporary password's
 * obligation), and the link is spent; all of it only if the link is still unspent and the account still
 * has the address the link was sent to.
 */
export async function resetPassword(scope: Scope, tenant: Tenant, token: string, newPassword: string, secondFactor: Partial<Answer> = {}): Promise<void> {
  const { db } = scope;
  const found = await userOfProof(db, tenant.id, "reset_password", token);
  if (!found) throw unusableLink();
  const { proof, user } = found;
  const reuse = passwordReuseProblem(newPassword, user);
  if (reuse) throw validationFailed([{ path: "newPassword", message: reuse }]);
  // Rule M: the mailed link alone does not reset the password of a person who has a second factor.
  await requireSecondFactorFor(scope, tenant, user.id, { purpose: "password-reset", tokenHash: proof.tokenHash }, secondFactor);
  const passwordHash = await hashPassword(newPassword);
  const now = new Date();
  const still = unspent(proof.tokenHash, now);
  const [changed] = await db.batch([
    db
      .update(users)
      .set({ passwordHash, failedSignIns: 0, lockedUntil: null, mustChangePassword: false, updatedAt: now })
      .where(and(eq(users.id, user.id), still)),
    revokeUserSessions(db, user.id, { onlyIf: still, now }),
    spendToken(db, proof.tokenHash, now),
  ]);
  if (changed.meta.changes !== 1) throw unusableLink();
}
