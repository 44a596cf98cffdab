import { sql, type SQL } from "drizzle-orm";
import { commitGivingBack, type Write } from "../db/batch";
import { isDatabaseUnavailable } from "../db/guard";
import type { Database } from "../db/client";
import { users, type Tenant, type User } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import { bucketOf } from "./login-buckets";
import {
  accountLocked,
  countUnknownLogin,
  lockedForSeconds,
  releaseSlot,
  settleCorrect,
  settleWrong,
  takeCheckSlot,
  unknownLoginLock,
  userOfLogin,
} from "./lockout";
import { dummyHash, verifyPassword } from "./password";

/** How long a check waits for a slot while other checks of the same account are under way. */
const SLOT_WAIT_MS = 5_000;

export type PasswordCheck =
  /** `settle` gives the slot back and clears the failures: write it with whatever the password opens. */
  | { correct: true; user: User; settle: Write; release: Write }
  /** Already counted; `refusal` is `invalid_credentials`, `account_locked` or `rate_limited`. */
  | { correct: false; user: User | undefined; refusal: AppError };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rule L, the one function every password goes through (sign-in, password change, a retried
 * registration): the login resolves to exactly one user, the check is counted before the hash is
 * computed, a login that names nobody is counted in its bucket and answered on the same schedule after
 * the same work (a dummy hash), and only a wrong password counts as a failure. Concurrent checks of one
 * account wait for a slot rather than being refused.
 */
export async function checkPassword(
  scope: Scope,
  tenant: Tenant,
  who: { login: string } | { userId: string },
  password: string,
): Promise<PasswordCheck> {
  const { db } = scope;
  const target: SQL = "login" in who ? userOfLogin(tenant.id, who.login) : sql`${who.userId}`;
  const bucket = "login" in who ? await bucketOf((await scope.config.signingKeys()).loginBucketKey, tenant.id, who.login) : undefined;
  const giveUpAt = Date.now() + SLOT_WAIT_MS;

  for (let wait = 25; ; wait = Math.min(wait * 2, 250)) {
    const now = new Date();
    const { user, slotTaken, unknownLogin } = await reserve(db, tenant, target, bucket, now);

    if (!user) {
      // A user id that names nobody (gone meanwhile) has no bucket: simply not the password.
      if (!unknownLogin) return refused(undefined, new AppError("invalid_credentials"));
      // A login that names nobody: the same answers as a wrong password, after the same work, on the same schedule.
      if (!unknownLogin.counted) return refused(undefined, accountLocked(Math.max(unknownLogin.lockedFor, 1)));
      await verifyPassword(password, await dummyHash());
      return refused(undefined, unknownLogin.lockedFor > 0 ? accountLocked(unknownLogin.lockedFor) : new AppError("invalid_credentials"));
    }

    if (!slotTaken) {
      const lockedFor = lockedForSeconds(user, now);
      if (lockedFor > 0) return refused(user, accountLocked(lockedFor));
      // Every slot is held by a check under way: one of them will give it back soon.
      if (Date.now() + wait > giveUpAt) {
        return refused(user, new AppError("rate_limited", { detail: "Too many sign-ins of this account at once: try again in a moment.", headers: { "Retry-After": "1" } }));
      }
      await sleep(wait);
      continue;
    }

    const correct = user.passwordHash
      ? await verifyPassword(password, user.passwordHash)
      : // A user who signs in only through a provider has no password: the same work, and a refusal.
        (await verifyPassword(password, await dummyHash()), false);
    if (correct) return { correct, user, settle: settleCorrect(db, user.id), release: releaseSlot(db, user.id) };

    const [settled] = await settleWrong(db, tenant, user.id, now);
    const lockedFor = lockedForSeconds(settled, now);
    return refused(user, lockedFor > 0 ? accountLocked(lockedFor) : new AppError("invalid_credentials"));
  }
}

/**
 * One D1 batch: the user `target` names, as it was, and a slot of theirs if one is free; for a login
 * (`bucket` set) that names nobody, its failure counted in its bucket, and the bucket's lock.
 */
async function reserve(db: Database, tenant: Tenant, target: SQL, bucket: number | undefined, now: Date) {
  const readUser = db.select().from(users).where(sql`${users.id} = ${target}`).limit(1);
  const slot = takeCheckSlot(db, tenant, target, now);
  if (bucket === undefined) {
    const [[user], taken] = await db.batch([readUser, slot]);
    return { user, slotTaken: taken.length > 0, unknownLogin: undefined };
  }
  const [[user], taken, counted, [lock]] = await db.batch([
    readUser,
    slot,
    countUnknownLogin(db, tenant, bucket, sql`${target} IS NULL`, now),
    unknownLoginLock(db, tenant.id, bucket),
  ]);
  return { user, slotTaken: taken.length > 0, unknownLogin: { counted: counted.length > 0, lockedFor: lockedForSeconds(lock, now) } };
}

function refused(user: User | undefined, refusal: AppError): PasswordCheck {
  return { correct: false, user, refusal };
}

/**
 * Writes what a correct password opens (`writes`, with the check's settlement). If the database fails
 * on the way, an infrastructure fault never counts against the person: the slot is given back, with
 * `onFault` (the record of what they got), as far as the database lets us; then the fault is answered.
 */
export async function spendCorrectCheck<T>(
  scope: Scope,
  check: Extract<PasswordCheck, { correct: true }>,
  write: (settle: Write) => Promise<T>,
  onFault: Write[] = [],
): Promise<T> {
  try {
    return await write(check.settle);
  } catch (error) {
    if (isDatabaseUnavailable(error)) await commitGivingBack(scope.db, [check.release, ...onFault]);
    throw error;
  }
}
