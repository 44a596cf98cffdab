import { encodeBase32NoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI, verifyHOTP } from "@oslojs/otp";
import { and, eq, isNotNull, isNull, lt, or } from "drizzle-orm";
import { renderSVG } from "uqr";
import { open, seal } from "../crypto/secret-box";
import type { Database } from "../db/client";
import { secondFactors, type Tenant, type User } from "../db/schema";

/**
 * TOTP (RFC 6238) as authenticator apps expect it: SHA-1, 6 digits, 30-second steps, a code of the step
 * before or after accepted for clocks that drift (±1 step). The 160-bit key is sealed at rest
 * (crypto/secret-box.ts); a code counts only once: the step it was made for is kept, and a code of that
 * step or an earlier one is refused, even within its window.
 */

const STEP_SECONDS = 30;
const DIGITS = 6;
/** RFC 4226 §4 asks for 128 bits at least and recommends 160. */
const KEY_BYTES = 20;

export const stepAt = (now: Date) => Math.floor(now.getTime() / 1000 / STEP_SECONDS);

export interface TotpEnrolment {
  /** The key in base32, for a person who types it into their app. */
  secret: string;
  /** `otpauth://totp/…`: what the QR code holds. */
  uri: string;
  /** The QR code of `uri`, as SVG made here (no third party sees the key). */
  qrSvg: string;
}

/**
 * Starts (or starts again) the person's TOTP enrolment: a new key, sealed, waiting for a first code. Only
 * an unconfirmed enrolment is replaced: undefined when the person already has a confirmed TOTP factor
 * (which they remove first, with a fresh second factor).
 */
export async function startTotpEnrolment(db: Database, boxKey: CryptoKey, tenant: Tenant, user: User): Promise<TotpEnrolment | undefined> {
  const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const id = crypto.randomUUID();
  const now = new Date();
  const secret = await seal(boxKey, id, key);
  const [started] = await db
    .insert(secondFactors)
    .values({ id, tenantId: tenant.id, userId: user.id, type: "totp", secret, createdAt: now })
    .onConflictDoUpdate({
      target: [secondFactors.userId, secondFactors.type],
      set: { id, secret, lastUsedStep: null, createdAt: now },
      setWhere: isNull(secondFactors.confirmedAt),
    })
    .returning({ id: secondFactors.id });
  if (!started) return undefined;
  const uri = createTOTPKeyURI(tenant.displayName, user.email ?? user.username, key, STEP_SECONDS, DIGITS);
  return { secret: encodeBase32NoPadding(key), uri, qrSvg: renderSVG(uri) };
}

/**
 * Checks a code against the person's TOTP factor (`confirmed`: the enrolled one; false: the pending one,
 * whose first code confirms it) and spends its step, in one conditional UPDATE: of two uses of one code,
 * one wins. True when the code was good and is now spent.
 */
export async function useTotpCode(db: Database, boxKey: CryptoKey, userId: string, code: string, confirmed: boolean, now = new Date()): Promise<boolean> {
  const factor = await db
    .select()
    .from(secondFactors)
    .where(and(eq(secondFactors.userId, userId), eq(secondFactors.type, "totp"), confirmed ? isNotNull(secondFactors.confirmedAt) : isNull(secondFactors.confirmedAt)))
    .get();
  if (!factor?.secret || !/^\d{6}$/.test(code)) return false;
  const key = await open(boxKey, factor.id, factor.secret);
  const current = stepAt(now);
  // The latest matching step of the window: a code is never accepted for a step before one already spent.
  const step = [current + 1, current, current - 1].find((candidate) => verifyHOTP(key, BigInt(candidate), DIGITS, code));
  if (step === undefined) return false;
  const [spent] = await db
    .update(secondFactors)
    .set({ lastUsedStep: step, lastUsedAt: now, ...(confirmed ? {} : { confirmedAt: now }) })
    .where(and(eq(secondFactors.id, factor.id), or(isNull(secondFactors.lastUsedStep), lt(secondFactors.lastUsedStep, step))))
    .returning({ id: secondFactors.id });
  return spent !== undefined;
}
