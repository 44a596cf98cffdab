import { mailInvitation } from "../../accounts/invitations";
import type { User } from "../../db/schema";
import { scopeOf } from "../../http/context";
import { mailPasswordReset } from "../../credentials/password-reset";
import { requestLocale } from "../../mail/proof";
import type { ConsoleContext } from "./env";
import { backToUser, userOfPath } from "./user-path";

/**
 * "Send activation email" is offered to a user an admin created without a password, who has an address:
 * the invitation lets them choose one. (mailInvitation refuses any user with a password; one who signs in
 * only with a provider is not offered it, so as not to add a password they never asked for.)
 */
export const invitable = (user: User) => user.createdVia === "admin" && user.passwordHash === null && user.email !== null;

/** A reset link goes only to a proven address (rule E), as mailPasswordReset itself insists. */
export const resettable = (user: User) => user.email !== null && user.emailVerified;

/**
 * POST /users/{id}/invitation: the admin API's own invitation (a 7-day single-use link to the user's
 * address); a user it refuses (a password since, no address) is the console's 400 page with its reason,
 * and a message that cannot be sent its 503 page.
 */
export async function sendInvitation(c: ConsoleContext) {
  const user = await userOfPath(c);
  await mailInvitation(scopeOf(c), c.var.tenant, user.id, requestLocale(c));
  return backToUser(c, user, "invitation_sent");
}

/**
 * POST /users/{id}/password-reset: the link "Forgot your password?" sends (30 minutes, single use), to a
 * verified address only, and not twice within a minute: that function refuses both quietly, so the message
 * says so. The user's login is their username, which resolves to them alone.
 */
export async function sendPasswordReset(c: ConsoleContext) {
  const user = await userOfPath(c);
  await mailPasswordReset(scopeOf(c), c.var.tenant, user.username, requestLocale(c));
  return backToUser(c, user, resettable(user) ? "reset_sent" : "reset_not_sent");
}
