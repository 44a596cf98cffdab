import * as v from "valibot";
import { consolePath, type ConsoleContext } from "./env";
import type { Done, Failure } from "./flash";
import { ListFilter, usersUrl } from "./users-url";

/**
 * Where a change of a user sends the admin back to: the user's page (`from=user`), or the users list as it
 * was filtered. Carried by the change's form (and the confirmation page's link) as these fields.
 */
export const BackTo = v.object({ ...ListFilter.entries, from: v.optional(v.literal("user")) });
export type BackTo = v.InferOutput<typeof BackTo>;

/** The fields or query parameters that carry `back` (only those that are set). */
export function backFields(back: BackTo): Record<string, string> {
  return Object.fromEntries(Object.entries(back).filter((entry): entry is [string, string] => Boolean(entry[1])));
}

/** The 303 after a change of `userId`, with its outcome for the page's message. */
export function redirectBack(c: ConsoleContext, userId: string, back: BackTo, outcome: { done?: Done; error?: Failure }) {
  const base = consolePath(c.var.tenant.slug);
  const about = outcome.done ? { user: userId } : {};
  if (back.from === "user" && outcome.error !== "not_found") {
    const query = new URLSearchParams(outcome.done ? { done: outcome.done } : { error: outcome.error ?? "" });
    return c.redirect(`${base}/users/${userId}?${query}`, 303);
  }
  return c.redirect(usersUrl(base, { status: back.status, q: back.q, ...outcome, ...about }), 303);
}
