import * as v from "valibot";
import { listAttempts } from "../../audit/attempts";
import { cursorOf, encodeCursor } from "../../http/cursor";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { queryOf } from "./forms";
import { ConsolePage } from "./layout";

const PAGE_SIZE = 50;

const AttemptsQuery = v.object({ cursor: v.optional(cursorOf(v.pipe(v.number(), v.integer(), v.minValue(1)))) });

/** `2026-05-04 09:15:02 UTC`: one unambiguous clock for every admin, wherever they sit. */
function utc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** The outcome codes of rule L in words. */
const outcomes: Record<string, string> = {
  invalid_credentials: "Wrong login or password",
  account_inactive: "Account not active",
  account_pending_activation: "Awaiting activation",
  account_locked: "Account locked",
};

/** GET /sign-in-attempts: every attempt of the tenant (rule L's audit trail), newest first. */
export async function attemptsPage(c: ConsoleContext) {
  const { tenant, principal, db } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const { cursor } = queryOf(c, AttemptsQuery);
  const rows = await listAttempts(db, tenant.id, { limit: PAGE_SIZE + 1, before: cursor });
  const page = rows.slice(0, PAGE_SIZE);
  const last = page.at(-1);
  const base = consolePath(tenant.slug);

  return c.html(
    <ConsolePage title="Sign-in attempts" base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="attempts">
      <div class="scroll">
        <table>
          <caption>
            Every sign-in attempt, successful or not, newest first. Attempts are kept for {tenant.attemptRetentionDays} days,
            the newest {tenant.attemptCap.toLocaleString("en-US")} at most (signInAttemptRetentionDays and signInAttemptCap in the
            admin API's settings); older ones are <a href={`${base}/sign-in-attempts/archives`}>archived</a> before they are deleted.
          </caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Login</th>
              <th scope="col">Outcome</th>
              <th scope="col">Method</th>
              <th scope="col">Client</th>
              <th scope="col">IP address</th>
              <th scope="col">User agent</th>
            </tr>
          </thead>
          <tbody>
            {page.length === 0 && (
              <tr>
                <td colspan={7} class="muted">No sign-in attempts yet.</td>
              </tr>
            )}
            {page.map((attempt) => (
              <tr>
                <td><time datetime={attempt.at.toISOString()}>{utc(attempt.at)}</time></td>
                <td>{attempt.login}</td>
                <td>
                  {attempt.success ? (
                    <span class="status active">Success</span>
                  ) : (
                    <span class="status deactivated">{outcomes[attempt.code ?? ""] ?? attempt.code ?? "Failed"}</span>
                  )}
                </td>
                <td>{attempt.method}</td>
                <td>{attempt.clientId ?? ""}</td>
                <td>{attempt.ip ?? ""}</td>
                <td class="muted">{attempt.userAgent ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > PAGE_SIZE && last && (
        <p class="pager">
          <a href={`${base}/sign-in-attempts?cursor=${encodeCursor(last.id)}`} rel="next">Next page</a>
        </p>
      )}
    </ConsolePage>,
  );
}
