import * as v from "valibot";

/**
 * What a redirect after a POST tells the next page (`?done=` / `?error=`): a code from these lists, each
 * shown as a fixed sentence, so a crafted link cannot put words on the page. Unknown codes show nothing.
 */
const done = {
  activated: "The user is now active and can sign in.",
  deactivated: "The user has been deactivated; their sessions have ended.",
  saved: "The settings are saved. They apply from the next request on.",
  signed_out: "You have signed out.",
} as const;

const errors = {
  last_admin: "The tenant's last active admin cannot be deactivated. Make another user an admin first.",
  not_found: "There is no such user in this tenant.",
} as const;

export type Done = keyof typeof done;
export type Failure = keyof typeof errors;

export const FlashQuery = {
  done: v.fallback(v.optional(v.picklist(Object.keys(done) as Done[])), undefined),
  error: v.fallback(v.optional(v.picklist(Object.keys(errors) as Failure[])), undefined),
};

export function doneText(code: Done | undefined): string | undefined {
  return code && done[code];
}

export function errorText(code: Failure | undefined): string | undefined {
  return code && errors[code];
}
