/**
 * A user's second factors in the console (issue 16 point 4): what they set up, on their page, and a reset
 * for a person who lost them, behind a page that says what it does (no script, so no dialog). The reset
 * is the admin API's own (factors/reset.ts): every factor, recovery code and remembered device goes, and
 * every session ends.
 */
import { displayNameOf } from "../../accounts/view";
import type { User } from "../../db/schema";
import { factorsOf, resetFactors } from "../../factors/reset";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { ConsolePage, CsrfField } from "./layout";
import { Time } from "./time";
import { backToUser, userOfPath } from "./user-path";

export type UserFactors = Awaited<ReturnType<typeof factorsOf>>;

const factorNames = { totp: "Authenticator app", email: "Codes by e-mail" } as const;

/** The card of the user's page: each factor with when it was set up and last used, the recovery codes left, and the reset. */
export function FactorsCard(props: { base: string; user: User; factors: UserFactors }) {
  const { factors, passkeys, recoveryCodesLeft } = props.factors;
  const rows = [
    ...factors.map((factor) => ({ name: factorNames[factor.type], ...factor })),
    ...passkeys.map((passkey) => ({ ...passkey, name: `Passkey “${passkey.name}”` })),
  ];
  return (
    <section class="card" aria-labelledby="factors">
      <h2 id="factors">Second factors</h2>
      {rows.length === 0 ? (
        <p class="muted">None set up.</p>
      ) : (
        <>
          <ul>
            {rows.map((row) => (
              <li>
                {row.name}: set up <Time at={row.createdAt} />, last used <Time at={row.lastUsedAt} />
              </li>
            ))}
          </ul>
          <p>Recovery codes left: {recoveryCodesLeft}</p>
          <p>
            <a href={`${props.base}/users/${props.user.id}/factors/reset`}>Reset second factors…</a>
          </p>
        </>
      )}
    </section>
  );
}

/** GET /users/{id}/factors/reset: what a reset does, and a button to confirm it; Cancel goes back to the user. */
export async function resetFactorsPage(c: ConsoleContext) {
  const { tenant, principal } = c.var;
  const user = await userOfPath(c);
  const csrfToken = await sessionCsrfToken(c);
  const base = consolePath(tenant.slug);
  const name = displayNameOf(user);
  const self = user.id === principal.user.id;
  return c.html(
    <ConsolePage title={`Reset ${name}'s second factors?`} base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="users">
      <form method="post" action={`${base}/users/${user.id}/factors/reset`} class="card">
        <CsrfField token={csrfToken} />
        <p>
          {name} ({user.username}) loses every second factor (authenticator app, e-mail codes, passkeys), their recovery codes
          and every device they asked to be remembered, and every session they have open ends at once
          {self ? ", this console session too" : ""}. Where the tenant requires a second factor, they set up a new one at their
          next sign-in. This cannot be undone.
        </p>
        <div class="actions">
          <button type="submit">Reset {user.username}'s second factors</button>
          <a href={`${base}/users/${user.id}`}>Cancel</a>
        </div>
      </form>
    </ConsolePage>,
  );
}

/** POST /users/{id}/factors/reset: another tenant's user, or none, is the console's 404 page and nothing changes. */
export async function resetFactorsForm(c: ConsoleContext) {
  const user = await userOfPath(c);
  await resetFactors(c.var.db, user.id);
  return backToUser(c, user, "factors_reset");
}
