import { eq } from "drizzle-orm";
import { sessions, type User } from "../../db/schema";
import { AppError } from "../../http/errors";
import { endSessionOf, revokeUserSessions, type ListedSession } from "../../tokens/sessions";
import { methodText, shortUserAgent } from "./attempt-words";
import type { ConsoleContext } from "./env";
import { CsrfField } from "./layout";
import { CONSOLE_CLIENT_ID } from "./session";
import { Time } from "./time";
import { backToUser, userOfPath, uuidParam } from "./user-path";

/**
 * POST /users/{id}/sessions/{sessionId}/sign-out: one session of the user ends, through the admin API's own
 * function (tokens/sessions.ts endSessionOf: only a session of this user in this tenant, rule T); any
 * other is the console's 404 page. Whoever held it is signed out at their next refresh.
 */
export async function endUserSessionForm(c: ConsoleContext) {
  const user = await userOfPath(c);
  const sessionId = uuidParam(c, "sessionId");
  if (!sessionId || !(await endSessionOf(c.var.db, c.var.tenant.id, user.id, sessionId))) {
    throw new AppError("not_found", { detail: "There is no such session of this user." });
  }
  return backToUser(c, user, "session_ended");
}

/** POST /users/{id}/sign-out-everywhere: every session of the user ends (the admin API's sign-out-everywhere). */
export async function signOutEverywhereForm(c: ConsoleContext) {
  const user = await userOfPath(c);
  await revokeUserSessions(c.var.db, user.id, { onlyIf: eq(sessions.tenantId, c.var.tenant.id) });
  return backToUser(c, user, "signed_out_everywhere");
}

/**
 * A user's live sessions (a list on a phone), newest first, each with its Sign out; then Sign out
 * everywhere. The admin's own console session, when it is one of them, is marked.
 */
export function SessionTable(props: { base: string; csrf: string; user: User; sessions: ListedSession[]; currentId: string }) {
  const { base, user } = props;
  return (
    <>
      <div class="scroll">
        <table class="list">
          <caption>Live sessions, newest first. Signing one out ends it at once: the app holding it must sign in again.</caption>
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Method</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">IP address</th>
              <th scope="col">User agent</th>
              <th scope="col"><span class="vh">Action</span></th>
            </tr>
          </thead>
          <tbody>
            {props.sessions.length === 0 && (
              <tr>
                <td colspan={7} class="muted">No live sessions.</td>
              </tr>
            )}
            {props.sessions.map((session) => (
              <tr>
                <td data-label="Client" class="nowrap">
                  {session.clientId === CONSOLE_CLIENT_ID ? "Console" : session.clientId}
                  {session.id === props.currentId && <span class="muted"> (this one)</span>}
                </td>
                <td data-label="Method" class="nowrap">{methodText(session.method)}</td>
                <td data-label="Created"><Time at={session.createdAt} /></td>
                <td data-label="Last used"><Time at={session.lastUsedAt} never="not refreshed" /></td>
                <td data-label="IP address" class="wrap">{session.ip ?? ""}</td>
                <td data-label="User agent" class="muted nowrap">
                  {session.userAgent && <span title={session.userAgent}>{shortUserAgent(session.userAgent)}</span>}
                </td>
                <td>
                  <form method="post" action={`${base}/users/${user.id}/sessions/${session.id}/sign-out`}>
                    <CsrfField token={props.csrf} />
                    <button type="submit" class="secondary">
                      Sign out <span class="vh">the session created <Time at={session.createdAt} /></span>
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.sessions.length > 0 && (
        <form method="post" action={`${base}/users/${user.id}/sign-out-everywhere`} class="actions below">
          <CsrfField token={props.csrf} />
          <button type="submit" class="secondary">Sign out everywhere</button>
          <span class="hint">Every session of {user.username} ends{props.sessions.some((s) => s.id === props.currentId) ? ", this console session too" : ""}.</span>
        </form>
      )}
    </>
  );
}
