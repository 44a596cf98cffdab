import * as v from "valibot";
import { findUserById } from "../../accounts/queries";
import type { User } from "../../db/schema";
import { AppError } from "../../http/errors";
import { consolePath, type ConsoleContext } from "./env";
import type { Done } from "./flash";

const Uuid = v.pipe(v.string(), v.uuid());

export const noSuchUser = () => new AppError("not_found", { detail: "There is no such user in this tenant." });

/** A path parameter that is a uuid, else undefined (no row has another kind of id). */
export function uuidParam(c: ConsoleContext, name: string): string | undefined {
  const parsed = v.safeParse(Uuid, c.req.param(name));
  return parsed.success ? parsed.output : undefined;
}

/** The user `/users/{id}/…` names, in this tenant only (rule T); any other id is the console's 404 page. */
export async function userOfPath(c: ConsoleContext): Promise<User> {
  const id = uuidParam(c, "id");
  const user = id ? await findUserById(c.var.db, c.var.tenant.id, id) : undefined;
  if (!user) throw noSuchUser();
  return user;
}

/** The 303 back to the user's page after an action of it, with its outcome for the page's message. */
export function backToUser(c: ConsoleContext, user: User, done: Done) {
  return c.redirect(`${consolePath(c.var.tenant.slug)}/users/${user.id}?${new URLSearchParams({ done })}`, 303);
}
