/**
 * A password an admin sets for a user, with "must change at next sign-in" (MyQ's "Should change password
 * on next login"). Until it is changed, a correct sign-in with it opens no session: it answers
 * `403 password_change_required` carrying a change token (account_tokens, purpose `password_change`: 10
 * minutes, single use, only its hash stored), which only POST /t/{tenant}/me/password accepts, in place of
 * a bearer token and the current password, to set the person's own password and sign them in.
 */
import { and, eq } from "drizzle-orm";
import { findLiveToken, insertAccountToken, newToken, spendToken, supersedeTokens, unspent } from "../accounts/account-tokens";
import { findUserById } from "../accounts/queries";
import { recordAttempt } from "../audit/attempts";
import type { Write } from "../db/batch";
import type { Database } from "../db/client";
import { users, type Tenant, type User } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import { validationFailed } from "../http/validation";
import { startSession, type TokenResponse } from "../tokens/issue";
import { revokeUserSessions } from "../tokens/sessions";
import { hashPassword, verifyPassword } from "./password";
import { passwordReuseProblem } from "./password-policy";

/** How long a change token works: long enough to type a new password, no more. */
const CHANGE_TOKEN_MS = 10 * 60_000;

/**
 * The admin's side, in one batch: the new password, the obligation (or not) to change it, the lockout
 * cleared, and every session of the user ended (whoever held them no longer knows the password), as well
 * as any change token still out. The password policy applies as to the person's own.
 */
export async function setPasswordByAdmin(db: Database, user: User, password: string, mustChangePassword: boolean): Promise<void> {
  const reuse = passwordReuseProblem(password, user);
  if (reuse) throw validationFailed([{ path: "password", message: reuse }]);
  const passwordHash = await hashPassword(password);
  const now = new Date();
  await db.batch([
    db
      .update(users)
      .set({ passwordHash, mustChangePassword, failedSignIns: 0, lockedUntil: null, updatedAt: now })
      .where(eq(users.id, user.id)),
    revokeUserSessions(db, user.id, { now }),
    supersedeTokens(db, user.id, "password_change", now),
  ]);
}

/**
 * A correct sign-in with a temporary password: the change token, with the writes that store it (the only
 * live one of the user's), for the sign-in's batch, and the refusal to answer once they are written.
 */
export async function passwordChangeRequired(db: Database, tenant: Tenant, user: User): Promise<{ writes: Write[]; refusal: AppError }> {
  const { token, tokenHash } = await newToken();
  const now = new Date();
  return {
    writes: [
      supersedeTokens(db, user.id, "password_change", now),
      insertAccountToken(db, tokenHash, { tenantId: tenant.id, userId: user.id, purpose: "password_change", email: null, lifetimeMs: CHANGE_TOKEN_MS }, now),
    ],
    refusal: new AppError("password_change_required", {
      detail: "An administrator set this password: choose your own to sign in",
      extensions: { changeToken: token, changeTokenExpiresIn: CHANGE_TOKEN_MS / 1000 },
    }),
  };
}

export interface TemporaryPasswordChange {
  changeToken: string;
  newPassword: string;
  clientId: string;
  scope: string;
  nonce?: string;
}

const unusable = () =>
  validationFailed([{ path: "changeToken", message: "Expired, already used, or not of this tenant" }], "Sign in again with the temporary password for a new change token");

/**
 * The person's side: the change token and a new password (the policy applies, and it must differ from
 * the temporary one). In one batch, on condition that the token is still unspent: the password, the
 * obligation cleared, every session of the user ended, the token spent. Then the person is signed in as by
 * a password sign-in (a session, its attempt recorded).
 */
export async function replaceTemporaryPassword(scope: Scope, tenant: Tenant, input: TemporaryPasswordChange): Promise<TokenResponse> {
  const { db } = scope;
  const proof = await findLiveToken(db, tenant.id, "password_change", input.changeToken);
  const user = proof && (await findUserById(db, tenant.id, proof.userId));
  if (!proof || !user?.mustChangePassword) throw unusable();
  const reuse = passwordReuseProblem(input.newPassword, user);
  if (reuse) throw validationFailed([{ path: "newPassword", message: reuse }]);
  if (user.passwordHash && (await verifyPassword(input.newPassword, user.passwordHash))) {
    throw validationFailed([{ path: "newPassword", message: "Choose a password other than the temporary one" }]);
  }
  const passwordHash = await hashPassword(input.newPassword);
  const now = new Date();
  const still = unspent(proof.tokenHash, now);
  const [changed] = await db.batch([
    db
      .update(users)
      .set({ passwordHash, mustChangePassword: false, updatedAt: now })
      .where(and(eq(users.id, user.id), still)),
    revokeUserSessions(db, user.id, { onlyIf: still, now }),
    spendToken(db, proof.tokenHash, now),
  ]);
  if (changed.meta.changes !== 1) throw unusable();

  const signedIn = { ...user, passwordHash, mustChangePassword: false };
  const attempt = (code: string | null) =>
    recordAttempt(db, { tenantId: tenant.id, at: now, login: user.username, userId: user.id, code, method: "password", clientId: input.clientId }, scope.meta);
  return startSession(scope, { tenant, user: signedIn, clientId: input.clientId, method: "password", scope: input.scope, nonce: input.nonce, attempt });
}
