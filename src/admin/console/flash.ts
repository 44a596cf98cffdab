import * as v from "valibot";

/**
 * What a redirect after a POST tells the next page (`?done=` / `?error=`, and `?user=` naming whom it was
 * about): a code from these lists, each shown as a fixed sentence, so a crafted link cannot put words on the
 * page. The only words that vary are a user's name, and only a user of this tenant found by that id.
 * Unknown codes show nothing.
 */
const done = {
  activated: (who: string) => `${who} is now active and can sign in.`,
  deactivated: (who: string) => `${who} has been deactivated; their sessions have ended.`,
  admin_granted: (who: string) => `${who} is now an admin of this tenant.`,
  admin_revoked: (who: string) => `${who} is no longer an admin.`,
  session_ended: (who: string) => `That session of ${who} has been signed out.`,
  signed_out_everywhere: (who: string) => `${who} has been signed out everywhere: every session of theirs has ended.`,
  invitation_sent: (who: string) => `An invitation has been sent to ${who}: its link works for 7 days.`,
  reset_sent: (who: string) => `A password reset link was sent to ${who}, unless one went out in the last minute. It works for 30 minutes.`,
  temporary_password_set: (who: string) => `${who} has a temporary password, to change at their next sign-in; their sessions have ended.`,
  password_set: (who: string) => `${who} has a new password; their sessions have ended.`,
  factors_reset: (who: string) => `${who}'s second factors are reset: every factor, recovery code and remembered device is gone, and their sessions have ended.`,
  reset_not_sent: (who: string) => `No password reset link was sent: ${who} has no verified e-mail address.`,
  saved: () => "The settings are saved. They apply from the next request on.",
  signed_out: () => "You have signed out.",
} as const;

const errors = {
  last_admin: "The tenant's last active admin cannot be deactivated or lose the admin role. Make another user an admin first.",
  not_found: "There is no such user in this tenant.",
} as const;

export type Done = keyof typeof done;
export type Failure = keyof typeof errors;

export const FlashQuery = {
  done: v.fallback(v.optional(v.picklist(Object.keys(done) as Done[])), undefined),
  error: v.fallback(v.optional(v.picklist(Object.keys(errors) as Failure[])), undefined),
  /** Whom `done` was about: a user id, looked up in the tenant (an unknown one reads as "The user"). */
  user: v.fallback(v.optional(v.pipe(v.string(), v.uuid())), undefined),
};

/** `who`: the user's name as the page found it (never the link's words). */
export function doneText(code: Done | undefined, who = "The user"): string | undefined {
  return code && done[code](who);
}

export function errorText(code: Failure | undefined): string | undefined {
  return code && errors[code];
}
