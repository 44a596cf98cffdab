import { eq } from "drizzle-orm";
import { commit, type Write } from "../db/batch";
import { users, type Tenant } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import type { RequestMeta } from "../http/request-meta";
import { admit } from "../policy/admission";
import { startSession, type TokenResponse } from "../tokens/issue";
import { recordAttempt, type Attempt } from "./attempts";
import { accountLocked, byLogin, clearFailures, lockedForSeconds, reserveAttempt } from "./lockout";
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
 * Rule L, sign-in with MyQ credentials. One D1 batch reads the user and reserves the attempt against
 * the tenant's lockout (unknown and known logins alike); an unknown login and a wrong password then
 * answer alike, after the same work (a real hash or a dummy one is verified). `account_inactive` is said
 * only after a correct password. Every attempt is recorded.
 */
export async function signInWithPassword(
  scope: Scope,
  tenant: Tenant,
  input: PasswordSignIn,
  meta: RequestMeta,
): Promise<TokenResponse> {
  const { db } = scope;
  const now = new Date();
  const login = byLogin(tenant.id, input.login);
  const [[user], reserved] = await db.batch([
    db.select().from(users).where(login).limit(1),
    reserveAttempt(db, tenant, login, now),
  ]);
  const attempt = (code: Attempt["code"]): Write =>
    recordAttempt(
      db,
      { tenantId: tenant.id, at: now, login: input.login, userId: user?.id ?? null, code, method: "password", clientId: input.clientId },
      meta,
    );

  const [reservation] = reserved;
  if (user && !reservation) {
    const lockedFor = Math.max(lockedForSeconds(user, now), 1);
    await commit(db, [attempt("account_locked")]);
    throw accountLocked(lockedFor);
  }

  const hash = user?.passwordHash ?? (await dummyHash());
  const correct = (await verifyPassword(input.password, hash)) && Boolean(user?.passwordHash);
  if (!user || !correct) {
    // The reserved attempt stays counted; the one that reached the limit already answers as the lock.
    const nowLockedFor = reservation ? lockedForSeconds(reservation, now) : 0;
    await commit(db, [attempt(nowLockedFor > 0 ? "account_locked" : "invalid_credentials")]);
    throw nowLockedFor > 0 ? accountLocked(nowLockedFor) : new AppError("invalid_credentials");
  }

  const housekeeping = [
    clearFailures(db, user.id),
    // Parameters raised since this hash was made: upgrade it now that the password is at hand.
    ...(needsRehash(hash)
      ? [db.update(users).set({ passwordHash: await hashPassword(input.password) }).where(eq(users.id, user.id))]
      : []),
  ];
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
    [...housekeeping, attempt(null)],
  );
}
