import * as v from "valibot";
import { changeUser, type UserChanges } from "../../accounts/manage";
import { findUserById } from "../../accounts/queries";
import { displayNameOf } from "../../accounts/view";
import type { User } from "../../db/schema";
import { AppError } from "../../http/errors";
import { lastActiveAdmin } from "../last-admin";
import { BackTo, backFields, redirectBack } from "./back";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import type { Done } from "./flash";
import { formOf, queryOf } from "./forms";
import { ConsolePage, CsrfField } from "./layout";
import { usersUrl } from "./users-url";

const UserId = v.pipe(v.string(), v.uuid());

/**
 * One change of a user through the admin API's own function (accounts/manage.ts changeUser: deactivation
 * ends the user's sessions; the tenant's last active admin keeps being one, checked inside its UPDATE),
 * then back where the admin came from, with the outcome.
 */
function changeWith(changes: (user: User) => UserChanges, done: Done) {
  return async function change(c: ConsoleContext) {
    const { tenant, db } = c.var;
    const back = await formOf(c, BackTo);
    if (back instanceof Response) return back;
    const id = v.safeParse(UserId, c.req.param("id"));
    const user = id.success ? await findUserById(db, tenant.id, id.output) : undefined;
    if (!user) return redirectBack(c, "", back, { error: "not_found" });
    try {
      await changeUser(db, tenant, user.id, changes(user));
    } catch (error) {
      if (error instanceof AppError && error.code === "not_found") return redirectBack(c, user.id, back, { error: "not_found" });
      if (error instanceof AppError && error.code === "forbidden") return redirectBack(c, user.id, back, { error: "last_admin" });
      throw error;
    }
    return redirectBack(c, user.id, back, { done });
  };
}

/** POST /users/{id}/activate and /deactivate (the latter from its confirmation page). */
export const activate = changeWith(() => ({ active: true }), "activated");
export const deactivate = changeWith(() => ({ active: false }), "deactivated");

/** POST /users/{id}/grant-admin and /revoke-admin (from the user's page). */
export const grantAdmin = changeWith((user) => ({ roles: [...new Set([...user.roles, "admin" as const])] }), "admin_granted");
export const revokeAdmin = changeWith((user) => ({ roles: user.roles.filter((role) => role !== "admin") }), "admin_revoked");

/**
 * GET /users/{id}/deactivate: what deactivation does, and a button to confirm it; Cancel goes back. The
 * tenant's last active admin gets the reason instead of the button.
 */
export async function deactivatePage(c: ConsoleContext) {
  const { tenant, principal, db } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const back = queryOf(c, BackTo);
  const base = consolePath(tenant.slug);
  const id = v.safeParse(UserId, c.req.param("id"));
  const user = id.success ? await findUserById(db, tenant.id, id.output) : undefined;
  if (!user) throw new AppError("not_found", { detail: "There is no such user in this tenant." });
  const cancel = back.from === "user" ? `${base}/users/${user.id}` : usersUrl(base, { status: back.status, q: back.q });
  const name = displayNameOf(user);
  const lastAdmin = user.active && (await lastActiveAdmin(db, tenant.id)) === user.id;

  return c.html(
    <ConsolePage title={`Deactivate ${name}?`} base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="users">
      {!user.active ? (
        <p>{name} ({user.username}) is not active. <a href={cancel}>Back</a></p>
      ) : lastAdmin ? (
        <p role="alert" class="msg error">
          {name} ({user.username}) is the tenant's last active admin and cannot be deactivated. Make another user an admin first.{" "}
          <a href={cancel}>Back</a>
        </p>
      ) : (
        <form method="post" action={`${base}/users/${user.id}/deactivate`} class="card">
          <CsrfField token={csrfToken} />
          {Object.entries(backFields(back)).map(([field, value]) => (
            <input type="hidden" name={field} value={value} />
          ))}
          <p>
            {name} ({user.username}) will no longer be able to sign in, and every session they have open ends at once: apps
            signed in as them are signed out at their next request. An admin can activate them again later.
          </p>
          <div class="actions">
            <button type="submit">Deactivate {user.username}</button>
            <a href={cancel}>Cancel</a>
          </div>
        </form>
      )}
    </ConsolePage>,
  );
}
