import { eq } from "drizzle-orm";
import { findUserByLogin } from "../accounts/queries";
import { commit, type Write } from "../db/batch";
import { users, type Tenant } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import type { RequestMeta } from "../http/request-meta";
import { admit } from "../policy/admission";
import { startSession, type TokenResponse } from "../tokens/issue";
import { recordAttempt, type Attempt } from "./attempts";
import { accountLocked, clearFailures, countFailure, lockedForSeconds } from "./lockout";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "./password";

export interface PasswordSignIn {
  /** Username or e-mail address, in any case. */
  login: string;
  password: string;
  clientId: string;
  scope: string;
  nonce?: string;
}

/**
 * Rule L, sign-in with MyQ credentials. An unknown login and a wrong password answer alike, after the
 * same work (a real hash or a dummy one is verified). `account_inactive` is said only after a correct
 * password. Failures count towards the tenant's lockout; every attempt is recorded.
 */
export async function signInWithPassword(
  scope: Scope,
  tenant: Tenant,
  input: PasswordSignIn,
  meta: RequestMeta,
): Promise<TokenResponse> {
  const { db } = scope;
  const now = new Date();
  const user = await findUserByLogin(db, tenant.id, input.login);
  const attempt = (code: Attempt["code"]): Write =>
    recordAttempt(
      db,
      { tenantId: tenant.id, at: now, login: input.login, userId: user?.id ?? null, code, method: "password", clientId: input.clientId },
      meta,
    );

  const lockedFor = user ? lockedForSeconds(user, now) : 0;
  if (lockedFor > 0) {
    await commit(db, [attempt("account_locked")]);
    throw accountLocked(lockedFor);
  }

  const hash = user?.passwordHash ?? (await dummyHash());
  const correct = (await verifyPassword(input.password, hash)) && Boolean(user?.passwordHash);
  if (!user || !correct) {
    if (!user) {
      await commit(db, [attempt("invalid_credentials")]);
      throw new AppError("invalid_credentials");
    }
    const [[counted]] = await db.batch([countFailure(db, tenant, user.id, now), attempt("invalid_credentials")]);
    const nowLockedFor = counted ? lockedForSeconds(counted, now) : 0;
    // The failure that reaches the limit already answers as the lock: the user learns why at once.
    throw nowLockedFor > 0 ? accountLocked(nowLockedFor) : new AppError("invalid_credentials");
  }

  const housekeeping = [
    clearFailures(db, user),
    // Parameters raised since this hash was made: upgrade it now that the password is at hand.
    needsRehash(hash)
      ? db.update(users).set({ passwordHash: await hashPassword(input.password) }).where(eq(users.id, user.id))
      : undefined,
  ].filter((write) => write !== undefined);

  try {
    admit(tenant, user);
  } catch (refusal) {
    // The password was right: the refusal (account_inactive) is recorded and said, nothing more.
    if (refusal instanceof AppError) await commit(db, [...housekeeping, attempt(refusal.code)]);
    throw refusal;
  }
  return startSession(
    scope,
    { tenant, user, clientId: input.clientId, method: "password", scope: input.scope, nonce: input.nonce },
    () => [...housekeeping, attempt(null)],
  );
}
