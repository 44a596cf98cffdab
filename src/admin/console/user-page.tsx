import * as v from "valibot";
import { findUserWithIdentities } from "../../accounts/queries";
import { displayNameOf } from "../../accounts/view";
import { AppError } from "../../http/errors";
import { factorsOf } from "../../factors/reset";
import { listLiveSessions } from "../../tokens/sessions";
import { listAttemptsFiltered } from "../attempt-filters";
import { lastActiveAdmin } from "../last-admin";
import { AttemptTable } from "./attempt-table";
import { attemptsUrl } from "./attempts";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { doneText, errorText, FlashQuery } from "./flash";
import { queryOf } from "./forms";
import { ConsolePage, CsrfField, Message } from "./layout";
import { Time } from "./time";
import { UserAction } from "./user-action";
import { FactorsCard } from "./user-factors";
import { invitable, resettable } from "./user-mail";
import { TemporaryPasswordCard } from "./user-password";
import { SessionTable } from "./user-sessions";
import { statusOf } from "./user-status";

/** How many of the user's attempts the page shows; the attempts page, filtered by the user, has them all. */
const RECENT_ATTEMPTS = 10;

const providerNames = { apple: "Apple", google: "Google", microsoft: "Microsoft" } as const;

const UserPath = v.pipe(v.string(), v.uuid());

/**
 * GET /users/{id}: one user as the admin API's `GET /admin/users/{id}` knows them, plus when they were created
 * and last signed in, their live sessions, their latest sign-in attempts, and what an admin may do to them:
 * activate or deactivate, grant or revoke the admin role (neither offered to the tenant's last active admin),
 * send an invitation (a user created without a password) or a password reset (a verified address), set a
 * password (to change at next sign-in, or not; not on the admin's own page), sign a session out or all;
 * and their second factors, with a reset.
 */
export async function userPage(c: ConsoleContext) {
  const { tenant, principal, db } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const flash = queryOf(c, v.object({ done: FlashQuery.done, error: FlashQuery.error }));
  const id = v.safeParse(UserPath, c.req.param("id"));
  const found = id.success ? await findUserWithIdentities(db, tenant.id, id.output) : undefined;
  if (!found) throw new AppError("not_found", { detail: "There is no such user in this tenant." });
  const { user, identities } = found;
  const base = consolePath(tenant.slug);
  const isAdmin = user.roles.includes("admin");
  const [lastAdmin, attempts, sessions, factors] = await Promise.all([
    user.active && isAdmin ? lastActiveAdmin(db, tenant.id) : undefined,
    listAttemptsFiltered(db, tenant.id, { user: { id: user.id }, limit: RECENT_ATTEMPTS }),
    listLiveSessions(db, tenant, user.id),
    factorsOf(db, user.id),
  ]);
  const isLastAdmin = lastAdmin === user.id;
  const status = statusOf(user);
  const name = displayNameOf(user);
  const who = name === user.username ? name : `${name} (${user.username})`;

  return c.html(
    <ConsolePage title={name} base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="users">
      <p><a href={`${base}/users`}>All users</a></p>
      <Message text={doneText(flash.done, who)} />
      <Message text={errorText(flash.error)} error />
      <section class="card" aria-labelledby="account">
        <h2 id="account">Account</h2>
        <dl class="facts">
          <dt>Username</dt>
          <dd>{user.username}</dd>
          <dt>First name</dt>
          <dd>{user.firstName ?? <span class="muted">none</span>}</dd>
          <dt>Last name</dt>
          <dd>{user.lastName ?? <span class="muted">none</span>}</dd>
          <dt>E-mail</dt>
          <dd>
            {user.email ?? <span class="muted">none</span>}
            {user.email && (user.emailVerified ? " · verified" : <span class="muted"> · not verified</span>)}
          </dd>
          <dt>Account</dt>
          <dd>{user.kind === "work" ? "Work" : "Personal"}</dd>
          <dt>Status</dt>
          <dd><span class={`status ${status.tone}`}>{status.label}</span></dd>
          <dt>Roles</dt>
          <dd>{isAdmin ? "Admin" : <span class="muted">none</span>}</dd>
          <dt>Created</dt>
          <dd><Time at={user.createdAt} /></dd>
          <dt>Last sign-in</dt>
          <dd><Time at={user.lastSignInAt} /></dd>
          <dt>Linked providers</dt>
          <dd>{identities.length ? [...new Set(identities)].map((provider) => providerNames[provider]).join(", ") : <span class="muted">none</span>}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="actions">
        <h2 id="actions">Actions</h2>
        <div class="actions">
          <UserAction base={base} csrf={csrfToken} user={user} lastAdmin={isLastAdmin} back={{ from: "user" }} />
          {!isAdmin ? (
            <form method="post" action={`${base}/users/${user.id}/grant-admin`}>
              <CsrfField token={csrfToken} />
              <input type="hidden" name="from" value="user" />
              <button type="submit" class="secondary">Make admin</button>
            </form>
          ) : isLastAdmin ? null : (
            <form method="post" action={`${base}/users/${user.id}/revoke-admin`}>
              <CsrfField token={csrfToken} />
              <input type="hidden" name="from" value="user" />
              <button type="submit" class="secondary">Remove admin role</button>
            </form>
          )}
        </div>
        {isLastAdmin && (
          <p class="hint">The tenant's last active admin: make another user an admin before this one can be deactivated or lose the role.</p>
        )}
      </section>
      {(invitable(user) || resettable(user)) && (
        <section class="card" aria-labelledby="mail">
          <h2 id="mail">E-mail</h2>
          {invitable(user) && (
            <form method="post" action={`${base}/users/${user.id}/invitation`} class="actions">
              <CsrfField token={csrfToken} />
              <button type="submit" class="secondary">Send invitation</button>
              <span class="hint">{user.username} has no password yet: a link, valid 7 days, lets them choose one.</span>
            </form>
          )}
          {resettable(user) && (
            <form method="post" action={`${base}/users/${user.id}/password-reset`} class={invitable(user) ? "actions below" : "actions"}>
              <CsrfField token={csrfToken} />
              <button type="submit" class="secondary">Send password reset</button>
              <span class="hint">A link, valid 30 minutes, to {user.email}, to choose a new password.</span>
            </form>
          )}
        </section>
      )}
      {user.id !== principal.user.id && <TemporaryPasswordCard base={base} csrf={csrfToken} user={user} />}
      <FactorsCard base={base} user={user} factors={factors} />
      <section aria-labelledby="sessions">
        <h2 id="sessions">Sessions</h2>
        <SessionTable base={base} csrf={csrfToken} user={user} sessions={sessions} currentId={principal.sessionId} />
      </section>
      <h2>Recent sign-in attempts</h2>
      <AttemptTable
        attempts={attempts.items}
        base={base}
        empty="No sign-in attempts by this user are kept."
        caption={
          <>
            The latest {RECENT_ATTEMPTS}, newest first. <a href={attemptsUrl(base, { user: user.username })}>All of {user.username}'s attempts</a>
          </>
        }
      />
    </ConsolePage>,
  );
}
