import * as v from "valibot";
import { changeUser } from "../../accounts/manage";
import { listUsers, type UserStatus } from "../../accounts/queries";
import { displayNameOf } from "../../accounts/view";
import type { User } from "../../db/schema";
import { cursorOf, encodeCursor } from "../../http/cursor";
import { AppError } from "../../http/errors";
import { isPendingActivation } from "../../policy/admission";
import { MAX_SEARCH_LENGTH } from "../users";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { doneText, errorText, FlashQuery, type Failure } from "./flash";
import { formOf, queryOf } from "./forms";
import { ConsolePage, CsrfField, Message } from "./layout";

const PAGE_SIZE = 50;

/** A field of a GET form (`?status=&q=`), checked by `schema` when given: an empty one means "not given". */
function blankAsAbsent<S extends v.GenericSchema<string>>(schema: S) {
  return v.optional(v.pipe(v.string(), v.transform((value) => (value === "" ? undefined : value)), v.optional(schema)));
}
const Status = blankAsAbsent(v.picklist(["pending", "active", "inactive"]));
const Search = blankAsAbsent(
  v.pipe(v.string(), v.trim(), v.maxLength(MAX_SEARCH_LENGTH, `The search is too long: at most ${MAX_SEARCH_LENGTH} characters.`)),
);

/** Which users the list shows; carried through the row buttons so the admin comes back to the same list. */
const ListFilter = v.object({ status: Status, q: Search });

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

function usersUrl(base: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])));
  return `${base}/users${query.size ? `?${query}` : ""}`;
}

function statusOf(user: User): { label: string; tone: string } {
  if (user.active) return { label: "Active", tone: "active" };
  return isPendingActivation(user) ? { label: "Pending activation", tone: "pending" } : { label: "Deactivated", tone: "deactivated" };
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

  return c.html(
    <ConsolePage title="Users" base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="users">
      <Message text={doneText(query.done)} />
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
        <table>
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
              <th scope="col">
                <span class="vh">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.length === 0 && (
              <tr>
                <td colspan={6} class="muted">{next ? "None among these users: the next page looks further." : "No users here."}</td>
              </tr>
            )}
            {page.map(({ user }) => {
              const status = statusOf(user);
              const action = user.active ? "deactivate" : "activate";
              return (
                <tr>
                  <th scope="row">{user.username}</th>
                  <td>{displayNameOf(user)}</td>
                  <td>{user.email ?? <span class="muted">none</span>}</td>
                  <td>{user.kind === "work" ? "Work" : "Personal"}{user.roles.includes("admin") ? " · admin" : ""}</td>
                  <td><span class={`status ${status.tone}`}>{status.label}</span></td>
                  <td>
                    <form method="post" action={`${base}/users/${user.id}/${action}`}>
                      <CsrfField token={csrfToken} />
                      {query.status && <input type="hidden" name="status" value={query.status} />}
                      {query.q && <input type="hidden" name="q" value={query.q} />}
                      <button type="submit" class={user.active ? "secondary" : undefined}>
                        {user.active ? "Deactivate" : "Activate"} <span class="vh">{user.username}</span>
                      </button>
                    </form>
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

const UserId = v.pipe(v.string(), v.uuid());

/**
 * POST /users/{id}/activate and /deactivate: the admin API's own change (deactivation ends the user's
 * sessions; the tenant's last active admin stays), then back to the same list with the outcome.
 */
export function setActive(active: boolean) {
  return async function setActive(c: ConsoleContext) {
    const { tenant, db } = c.var;
    const filter = await formOf(c, ListFilter);
    if (filter instanceof Response) return filter;
    const back = (outcome: { done?: string; error?: Failure }) =>
      c.redirect(usersUrl(consolePath(tenant.slug), { status: filter.status, q: filter.q, ...outcome }), 303);

    const id = v.safeParse(UserId, c.req.param("id"));
    if (!id.success) return back({ error: "not_found" });
    try {
      await changeUser(db, tenant, id.output, { active });
    } catch (error) {
      if (error instanceof AppError && error.code === "not_found") return back({ error: "not_found" });
      if (error instanceof AppError && error.code === "forbidden") return back({ error: "last_admin" });
      throw error;
    }
    return back({ done: active ? "activated" : "deactivated" });
  };
}
