import * as v from "valibot";
import { findUserById, listUsers, type UserStatus } from "../../accounts/queries";
import { displayNameOf } from "../../accounts/view";
import { cursorOf, encodeCursor } from "../../http/cursor";
import { lastActiveAdmin } from "../last-admin";
import { MAX_SEARCH_LENGTH } from "../users";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { doneText, errorText, FlashQuery } from "./flash";
import { queryOf } from "./forms";
import { ConsolePage, Message } from "./layout";
import { Time } from "./time";
import { UserAction } from "./user-action";
import { ListFilter, usersUrl } from "./users-url";
import { statusOf } from "./user-status";

const PAGE_SIZE = 50;

const UsersQuery = v.object({
  ...ListFilter.entries,
  cursor: v.optional(cursorOf(v.strictTuple([v.pipe(v.number(), v.integer()), v.pipe(v.string(), v.uuid())]))),
  ...FlashQuery,
});

const filters: { status?: UserStatus; label: string }[] = [
  { label: "All" },
  { status: "pending", label: "Pending activation" },
  { status: "active", label: "Active" },
  { status: "inactive", label: "Inactive" },
];

/** The name a message gives the user a change was about: their names and username, found in this tenant. */
export async function nameOf(c: ConsoleContext, userId: string | undefined): Promise<string | undefined> {
  const user = userId && (await findUserById(c.var.db, c.var.tenant.id, userId));
  if (!user) return undefined;
  const name = displayNameOf(user);
  return name === user.username ? name : `${name} (${user.username})`;
}

/** GET /users: newest first, filtered by status (pending activation among them) and a search. */
export async function usersPage(c: ConsoleContext) {
  const { tenant, principal, db } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const query = queryOf(c, UsersQuery);
  const after = query.cursor ? { createdAt: query.cursor[0], id: query.cursor[1] } : undefined;
  const { items: page, resumeAfter } = await listUsers(db, tenant.id, { status: query.status, q: query.q, limit: PAGE_SIZE, after });
  const next = resumeAfter ? encodeCursor([resumeAfter.createdAt, resumeAfter.id]) : undefined;
  const base = consolePath(tenant.slug);
  const shown = filters.find((filter) => filter.status === query.status)!;
  // Only a page that shows an active admin needs to know whether they are the last one.
  const showsActiveAdmin = page.some(({ user }) => user.active && user.roles.includes("admin"));
  const lastAdmin = showsActiveAdmin ? await lastActiveAdmin(db, tenant.id) : undefined;
  const filter = { status: query.status, q: query.q };

  return c.html(
    <ConsolePage title="Users" base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="users">
      <Message text={doneText(query.done, await nameOf(c, query.user))} />
      <Message text={errorText(query.error)} error />
      <div class="toolbar">
        <nav aria-label="Filter by status">
          <ul>
            {filters.map((filter) => (
              <li>
                <a href={usersUrl(base, { status: filter.status, q: query.q })} aria-current={filter === shown ? "page" : undefined}>
                  {filter.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <form method="get" action={`${base}/users`} role="search">
          {query.status && <input type="hidden" name="status" value={query.status} />}
          <div class="field">
            <label for="q">Search</label>
            <input type="search" id="q" name="q" value={query.q ?? ""} maxlength={MAX_SEARCH_LENGTH} placeholder="Name, username or e-mail" />
          </div>
          <button type="submit" class="secondary">Search</button>
        </form>
      </div>
      <div class="scroll">
        <table class="list">
          <caption>
            {shown.label === "All" ? "All users" : shown.label}
            {query.q ? ` matching “${query.q}”` : ""}, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Name</th>
              <th scope="col">E-mail</th>
              <th scope="col">Account</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">
                <span class="vh">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.length === 0 && (
              <tr>
                <td colspan={8} class="muted">{next ? "None among these users: the next page looks further." : "No users here."}</td>
              </tr>
            )}
            {page.map(({ user }) => {
              const status = statusOf(user);
              return (
                <tr>
                  <th scope="row" class="wrap"><a href={`${base}/users/${user.id}`}>{user.username}</a></th>
                  <td data-label="Name">{displayNameOf(user)}</td>
                  <td data-label="E-mail" class="wrap">{user.email ?? <span class="muted">none</span>}</td>
                  <td data-label="Account">{user.kind === "work" ? "Work" : "Personal"}{user.roles.includes("admin") ? " · admin" : ""}</td>
                  <td data-label="Status"><span class={`status ${status.tone}`}>{status.label}</span></td>
                  <td data-label="Created"><Time at={user.createdAt} /></td>
                  <td data-label="Last sign-in"><Time at={user.lastSignInAt} /></td>
                  <td>
                    <UserAction base={base} csrf={csrfToken} user={user} lastAdmin={user.id === lastAdmin} back={filter} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {next && (
        <p class="pager">
          <a href={usersUrl(base, { status: query.status, q: query.q, cursor: next })} rel="next">Next page</a>
        </p>
      )}
    </ConsolePage>,
  );
}
