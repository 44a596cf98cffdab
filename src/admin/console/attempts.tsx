import * as v from "valibot";
import { listAttemptsFiltered } from "../attempt-filters";
import { cursorOf, encodeCursor } from "../../http/cursor";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { AttemptTable } from "./attempt-table";
import { blankAsAbsent, queryOf } from "./forms";
import { ConsolePage } from "./layout";

const PAGE_SIZE = 50;

/** The longest login the filter takes: as long as a login sign-in takes (320, an e-mail address's limit). */
const MAX_LOGIN_LENGTH = 320;

/** Which attempts the list shows (a GET form); carried through the pager. */
const AttemptsQuery = v.object({
  outcome: blankAsAbsent(v.picklist(["success", "failure"])),
  user: blankAsAbsent(
    v.pipe(v.string(), v.trim(), v.maxLength(MAX_LOGIN_LENGTH, `The user is too long: at most ${MAX_LOGIN_LENGTH} characters.`)),
  ),
  cursor: v.optional(cursorOf(v.pipe(v.number(), v.integer(), v.minValue(1)))),
});

const outcomes = [
  { value: "", label: "Any outcome" },
  { value: "success", label: "Successful" },
  { value: "failure", label: "Failed or refused" },
];

/** The attempts page's address for these filters. */
export function attemptsUrl(base: string, params: { outcome?: string; user?: string; cursor?: string }): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])));
  return `${base}/sign-in-attempts${query.size ? `?${query}` : ""}`;
}

/**
 * GET /sign-in-attempts: the tenant's attempts (rule L's audit trail), newest first, filtered by outcome
 * and by user (a username or e-mail, resolved as sign-in resolves it).
 */
export async function attemptsPage(c: ConsoleContext) {
  const { tenant, principal, db } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const query = queryOf(c, AttemptsQuery);
  const { items, resumeBefore } = await listAttemptsFiltered(db, tenant.id, {
    user: query.user === undefined ? undefined : { login: query.user },
    outcome: query.outcome,
    limit: PAGE_SIZE,
    before: query.cursor,
  });
  const base = consolePath(tenant.slug);
  const filtered = query.user !== undefined || query.outcome !== undefined;

  return c.html(
    <ConsolePage title="Sign-in attempts" base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="attempts">
      <form method="get" action={`${base}/sign-in-attempts`} class="toolbar" role="search">
        <div class="field">
          <label for="outcome">Outcome</label>
          <select id="outcome" name="outcome">
            {outcomes.map((outcome) => (
              <option value={outcome.value} selected={(query.outcome ?? "") === outcome.value}>{outcome.label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="user">User</label>
          <input type="search" id="user" name="user" value={query.user ?? ""} maxlength={MAX_LOGIN_LENGTH} placeholder="Username or e-mail" />
        </div>
        <button type="submit" class="secondary">Filter</button>
        {filtered && <a href={`${base}/sign-in-attempts`}>Show all</a>}
      </form>
      <AttemptTable
        attempts={items}
        base={base}
        empty={resumeBefore ? "None among these attempts: the next page looks further." : "No sign-in attempts here."}
        caption={
          <>
            Every sign-in attempt, successful or not, newest first. Attempts are kept for {tenant.attemptRetentionDays} days,
            the newest {tenant.attemptCap.toLocaleString("en-US")} at most (Settings › Sign-in attempts); older ones are{" "}
            <a href={`${base}/sign-in-attempts/archives`}>archived</a> before they are deleted.
          </>
        }
      />
      {resumeBefore !== null && (
        <p class="pager">
          <a href={attemptsUrl(base, { outcome: query.outcome, user: query.user, cursor: encodeCursor(resumeBefore) })} rel="next">Next page</a>
        </p>
      )}
    </ConsolePage>,
  );
}
