import { and, eq, isNull } from "drizzle-orm";
import { users, type Tenant } from "../db/schema";
import type { Scope } from "../http/context";
import { validationFailed } from "../http/validation";
import type { Locale } from "../hosted/i18n";
import { hashPassword } from "../credentials/password";
import { passwordReuseProblem } from "../credentials/password-policy";
import { mailProof } from "../mail/proof";
import { issueAccountToken, spendToken, unspent, unusableLink, userOfProof } from "./account-tokens";
import { userOfTenant } from "./queries";

/** How long an invitation's link works. */
const INVITATION_LIFETIME_MS = 7 * 24 * 3600_000;

/**
 * An admin's "Send activation email": a link (7 days, single use) to the user's address, with which the
 * person chooses their password. Only for an account without a password (one with a password is sent a
 * reset instead); a newer invitation replaces the older. `503 unavailable` when it cannot be sent: ask again.
 */
export async function mailInvitation(scope: Scope, tenant: Tenant, userId: string, locale: Locale): Promise<void> {
  const { db } = scope;
  const user = await userOfTenant(db, tenant.id, userId);
  if (!user.email) throw validationFailed([{ path: "email", message: "The user has no e-mail address to invite" }], "This user cannot be invited");
  if (user.passwordHash) throw validationFailed([{ path: "password", message: "The user already has a password: send a password reset instead" }], "This user cannot be invited");
  const token = await issueAccountToken(db, { tenantId: tenant.id, userId: user.id, purpose: "invitation", email: user.email, lifetimeMs: INVITATION_LIFETIME_MS });
  await mailProof(scope.env, scope.config, tenant, { kind: "invitation", locale, to: user.email, token });
}

/**
 * POST /invitation/accept: the person's password (the password policy applies) and, since the link
 * reached them, their address proven (rule E), in one batch with spending the link; only while the
 * account still has that address and no password. Whether the account is active stays the admin's
 * choice (the user's `active`, set when it was created or since).
 */
export async function acceptInvitation(scope: Scope, tenant: Tenant, token: string, password: string): Promise<void> {
  const { db } = scope;
  const found = await userOfProof(db, tenant.id, "invitation", token);
  if (!found) throw unusableLink("This invitation cannot be used");
  const { proof, user } = found;
  const reuse = passwordReuseProblem(password, user);
  if (reuse) throw validationFailed([{ path: "password", message: reuse }]);
  const passwordHash = await hashPassword(password);
  const now = new Date();
  const [accepted] = await db.batch([
    db
      .update(users)
      .set({ passwordHash, emailVerified: true, updatedAt: now })
      .where(and(eq(users.id, user.id), isNull(users.passwordHash), unspent(proof.tokenHash, now))),
    spendToken(db, proof.tokenHash, now),
  ]);
  if (accepted.meta.changes !== 1) throw unusableLink("This invitation cannot be used");
}
