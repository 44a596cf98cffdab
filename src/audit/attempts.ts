import { and, desc, eq, lt } from "drizzle-orm";
import type { Database } from "../db/client";
import { signInAttempts } from "../db/schema";
import type { RequestMeta } from "../http/request-meta";

export interface Attempt {
  tenantId: string;
  at: Date;
  /** As typed (or the provider's subject), cut to a sane length. */
  login: string;
  userId: string | null;
  /** The outcome's error code; null on success. */
  code: string | null;
  method: string;
  clientId: string | null;
  /** The second factor used or refused (issue 16): `totp`, `email`, `passkey`, `recovery`; none when none was asked. */
  factor?: string | null;
}

/** Rule L: every attempt, success or failure, is recorded (a write for the caller's batch). */
export function recordAttempt(db: Database, attempt: Attempt, meta: RequestMeta) {
  return db.insert(signInAttempts).values({
    ...attempt,
    login: attempt.login.slice(0, 320),
    success: attempt.code === null,
    ip: meta.ip,
    userAgent: meta.userAgent,
  });
}

/**
 * The admin's audit list, or with `userId` one person's own attempts (through `sign_in_attempts_tenant_user`):
 * newest first, `limit` at a time, resuming below the id `before`.
 */
export async function listAttempts(db: Database, tenantId: string, page: { limit: number; before?: number; userId?: string }) {
  return db
    .select()
    .from(signInAttempts)
    .where(
      and(
        eq(signInAttempts.tenantId, tenantId),
        page.userId === undefined ? undefined : eq(signInAttempts.userId, page.userId),
        page.before === undefined ? undefined : lt(signInAttempts.id, page.before),
      ),
    )
    .orderBy(desc(signInAttempts.id))
    .limit(page.limit)
    .all();
}
