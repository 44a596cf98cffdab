import { eq } from "drizzle-orm";
import { commit, type Write } from "../db/batch";
import { users, type Role, type Tenant, type User } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import type { RequestMeta } from "../http/request-meta";
import { admit } from "../policy/admission";
import { startSession, type TokenResponse } from "../tokens/issue";
import { requireConfirmedEmail } from "../accounts/email-verification";
import { recordAttempt, type Attempt } from "../audit/attempts";
import { checkPassword, spendCorrectCheck } from "./check";
import { hashPassword, needsRehash } from "./password";
import { passwordChangeRequired } from "./temporary-password";

export interface PasswordSignIn {
  /** Username or e-mail address, in any case. */
  login: string;
  password: string;
  clientId: string;
  scope: string;
  nonce?: string;
  /** A "remember this device" token from an earlier second step (factors/remembered.ts). */
  rememberToken?: string;
  /**
   * A role the sign-in is only for (the console's `admin`): without it the right password opens no session
   * and the attempt is recorded as refused (`forbidden`), like an inactive account's.
   */
  role?: Role;
}

/**
 * Rule L, sign-in with MyQ credentials: the password is checked by `checkPassword` (lockout, unknown
 * logins answered alike), `account_inactive` is said only after a correct password, and every attempt
 * is recorded with what the person got, a database fault included.
 */
export async function signInWithPassword(
  scope: Scope,
  tenant: Tenant,
  input: PasswordSignIn,
  meta: RequestMeta,
): Promise<TokenResponse> {
  const { db } = scope;
  const attempt = (user: User | undefined, code: Attempt["code"]): Write =>
    recordAttempt(
      db,
      { tenantId: tenant.id, at: new Date(), login: input.login, userId: user?.id ?? null, code, method: "password", clientId: input.clientId },
      meta,
    );

  const check = await checkPassword(scope, tenant, { login: input.login }, input.password);
  if (!check.correct) {
    await commit(db, [attempt(check.user, check.refusal.code)]);
    throw check.refusal;
  }
  const { user } = check;
  // Parameters raised since this hash was made: upgrade it now that the password is at hand.
  const rehash =
    user.passwordHash && needsRehash(user.passwordHash)
      ? [db.update(users).set({ passwordHash: await hashPassword(input.password) }).where(eq(users.id, user.id))]
      : [];
  return spendCorrectCheck(
    scope,
    check,
    async (settle) => {
      try {
        admit(tenant, user, input.role);
        requireConfirmedEmail(tenant, user);
      } catch (refusal) {
        // The password was right: the refusal (account_inactive, forbidden) is recorded and said, nothing more.
        if (refusal instanceof AppError) await commit(db, [settle, ...rehash, attempt(user, refusal.code)]);
        throw refusal;
      }
      if (user.mustChangePassword) {
        // The password is right, and an admin's: no session until the person has chosen their own.
        const required = await passwordChangeRequired(db, tenant, user);
        await commit(db, [settle, ...rehash, attempt(user, required.refusal.code), ...required.writes]);
        throw required.refusal;
      }
      return startSession(
        scope,
        { tenant, user, clientId: input.clientId, method: "password", scope: input.scope, nonce: input.nonce, rememberToken: input.rememberToken, attempt: (code) => attempt(user, code) },
        [settle, ...rehash],
      );
    },
    [attempt(user, "unavailable")],
  );
}
