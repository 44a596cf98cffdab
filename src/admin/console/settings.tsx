import * as v from "valibot";
import { saveSettings } from "../../tenants/queries";
import { settingsOf } from "../../tenants/settings";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { doneText, FlashQuery } from "./flash";
import { formOf, queryOf } from "./forms";
import { ConsolePage, CsrfField, Message } from "./layout";

/** A checkbox sends "on" when ticked and nothing when not. */
const Checkbox = v.optional(v.literal("on"));

/**
 * Both switches, as `true` or `false`. Read from the whole form: an unticked box sends no field, and
 * valibot runs no field's own schema for a key that is absent, so only the form can say it is off.
 */
const SettingsForm = v.pipe(
  v.object({ allowRegistration: Checkbox, newUsersActiveByDefault: Checkbox }),
  v.transform((form) => ({
    allowRegistration: form.allowRegistration === "on",
    newUsersActiveByDefault: form.newUsersActiveByDefault === "on",
  })),
);

/** GET /settings: Administration › Settings › User management, the two switches of rule R. */
export async function settingsPage(c: ConsoleContext) {
  const { tenant, principal } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const { done } = queryOf(c, v.object({ done: FlashQuery.done }));
  const settings = settingsOf(tenant);
  const base = consolePath(tenant.slug);
  return c.html(
    <ConsolePage title="User management" base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="settings">
      <Message text={doneText(done)} />
      <form method="post" action={`${base}/settings`} class="card">
        <CsrfField token={csrfToken} />
        <div class="check">
          <input type="checkbox" id="allowRegistration" name="allowRegistration" checked={settings.allowRegistration} aria-describedby="allowRegistration-hint" />
          <div>
            <label for="allowRegistration">Allow users to register in the system</label>
            <span class="hint" id="allowRegistration-hint">
              People may create their own account from the app, and sign up with Apple, Google or Microsoft.
            </span>
          </div>
        </div>
        <div class="check">
          <input type="checkbox" id="newUsersActiveByDefault" name="newUsersActiveByDefault" checked={settings.newUsersActiveByDefault} aria-describedby="newUsersActiveByDefault-hint" />
          <div>
            <label for="newUsersActiveByDefault">New registered users are active by default</label>
            <span class="hint" id="newUsersActiveByDefault-hint">
              When off, a new registration waits under Users › Pending activation until an administrator activates it.
            </span>
          </div>
        </div>
        <button type="submit">Save</button>
      </form>
    </ConsolePage>,
  );
}

/**
 * POST /settings: the two switches change, and only they (a patch: a lockout or provider change made
 * meanwhile through the API is kept).
 */
export async function saveSettingsForm(c: ConsoleContext) {
  const { tenant, db } = c.var;
  const form = await formOf(c, SettingsForm);
  if (form instanceof Response) return form;
  await saveSettings(db, tenant.id, form);
  return c.redirect(`${consolePath(tenant.slug)}/settings?done=saved`, 303);
}
