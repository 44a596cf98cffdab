import type { Child } from "hono/jsx";
import type { signInAttempts } from "../../db/schema";
import { methodText, outcomeText, shortUserAgent } from "./attempt-words";
import { Time } from "./time";

type Attempt = typeof signInAttempts.$inferSelect;

/**
 * Sign-in attempts as a table (a list on a phone: layout.tsx's `.list`), on the attempts page and a user's
 * page alike: the time on one line, the outcome and method in words, the user agent shortened with the
 * whole in its title. A login that resolved to a user links to that user's page.
 */
export function AttemptTable(props: { attempts: Attempt[]; base: string; caption: Child; empty: string }) {
  return (
    <div class="scroll">
      <table class="list">
        <caption>{props.caption}</caption>
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
          {props.attempts.length === 0 && (
            <tr>
              <td colspan={7} class="muted">{props.empty}</td>
            </tr>
          )}
          {props.attempts.map((attempt) => (
            <tr>
              <td data-label="Time"><Time at={attempt.at} /></td>
              <td data-label="Login" class="wrap">
                {attempt.userId ? <a href={`${props.base}/users/${attempt.userId}`}>{attempt.login}</a> : attempt.login}
              </td>
              <td data-label="Outcome">
                <span class={`status ${attempt.success ? "active" : "deactivated"}`}>{outcomeText(attempt.code)}</span>
              </td>
              <td data-label="Method" class="nowrap">{methodText(attempt.method)}</td>
              <td data-label="Client" class="nowrap">{attempt.clientId ?? ""}</td>
              <td data-label="IP address" class="wrap">{attempt.ip ?? ""}</td>
              <td data-label="User agent" class="muted nowrap">
                {attempt.userAgent && <span title={attempt.userAgent}>{shortUserAgent(attempt.userAgent)}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
