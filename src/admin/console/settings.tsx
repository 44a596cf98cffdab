import * as v from "valibot";
import { accountKinds, factorTypes, mfaModes, providerNames, type AccountKind, type FactorType, type ProviderName } from "../../db/schema";
import { fieldErrors } from "../../http/validation";
import { saveSettings } from "../../tenants/queries";
import { SettingsPatch, settingsOf, TenantSettings } from "../../tenants/settings";
import { sessionCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { doneText, FlashQuery } from "./flash";
import { formOf, queryOf } from "./forms";
import { ConsolePage, CsrfField, Message } from "./layout";

/** The admin API's own schema of each setting: its bounds are the form's, said once (tenants/settings.ts). */
const schemas = TenantSettings.pipe[0].entries;

type Switch = "allowRegistration" | "newUsersActiveByDefault" | "emailConfirmationRequired";

const switches: { name: Switch; label: string; hint: string }[] = [
  {
    name: "allowRegistration",
    label: "Allow users to register in the system",
    hint: "People may create their own account from the app, and sign up with Apple, Google or Microsoft.",
  },
  {
    name: "newUsersActiveByDefault",
    label: "New registered users are active by default",
    hint: "When off, a new registration waits under Users › Pending activation until an administrator activates it.",
  },
  {
    name: "emailConfirmationRequired",
    label: "E-mail confirmation required for login",
    hint: "A self-registered account gets no tokens until its owner has confirmed the e-mail address printid sends a link to.",
  },
];

type NumberSetting = { name: string; label: string; hint: string; schema: v.GenericSchema; of: (s: TenantSettings) => number };

/** Each number setting, by its field name: the admin API's path, dotted. */
const numbers: { legend: string; fields: NumberSetting[] }[] = [
  {
    legend: "Lockout",
    fields: [
      { name: "lockout.maxAttempts", label: "Failed attempts before lockout", hint: "Wrong passwords in a row that lock the account.", schema: schemas.lockout.entries.maxAttempts, of: (s) => s.lockout.maxAttempts },
      { name: "lockout.lockoutSeconds", label: "Lockout duration (seconds)", hint: "How long a locked account waits; 900 is 15 minutes.", schema: schemas.lockout.entries.lockoutSeconds, of: (s) => s.lockout.lockoutSeconds },
    ],
  },
  {
    legend: "Sessions",
    fields: [
      { name: "sessionMaxSeconds", label: "Session lifetime (seconds)", hint: "A session ends this long after its sign-in, however busy; 2,592,000 is 30 days.", schema: schemas.sessionMaxSeconds, of: (s) => s.sessionMaxSeconds },
      { name: "sessionIdleSeconds", label: "Idle time-out (seconds)", hint: "A session unused this long ends; 0 means no idle time-out.", schema: schemas.sessionIdleSeconds, of: (s) => s.sessionIdleSeconds },
      { name: "refreshTokenReuseSeconds", label: "Refresh retry window (seconds)", hint: "How long a refresh token, once used, still works for an app retrying a response it lost; 0 is strict rotation.", schema: schemas.refreshTokenReuseSeconds, of: (s) => s.refreshTokenReuseSeconds },
    ],
  },
  {
    legend: "Remembered devices",
    fields: [
      { name: "mfa.rememberDays", label: "Remember a device for (days)", hint: "A browser or app that passed the second step may skip it this long; 0 never remembers.", schema: schemas.mfa.entries.rememberDays, of: (s) => s.mfa.rememberDays },
    ],
  },
  {
    legend: "Sign-in attempts",
    fields: [
      { name: "signInAttemptRetentionDays", label: "Keep attempts for (days)", hint: "Older attempts are archived, then deleted, by the daily clean-up.", schema: schemas.signInAttemptRetentionDays, of: (s) => s.signInAttemptRetentionDays },
      { name: "signInAttemptCap", label: "Keep at most (attempts)", hint: "Beyond this many, the oldest are archived, then deleted.", schema: schemas.signInAttemptCap, of: (s) => s.signInAttemptCap },
    ],
  },
];
const numberFields = numbers.flatMap((group) => group.fields);

const kindNames: Record<AccountKind, string> = { work: "Work accounts", personal: "Personal accounts" };

/** Rule M's policy in the admin's words. */
const mfaModeLabels: Record<(typeof mfaModes)[number], string> = {
  off: "Off: nobody is asked for a second factor",
  optional: "Optional: people who set one up are asked for it",
  admins: "Required for administrators",
  all: "Required for everyone",
};
const factorLabels: Record<FactorType, string> = { totp: "Authenticator app", email: "E-mail codes", passkey: "Passkeys" };
const providerLabels: Record<ProviderName, string> = { apple: "Apple", google: "Google", microsoft: "Microsoft" };

/** A bound of a number's schema (`min_value`, `max_value`), for the input's attributes and the message. */
function boundOf(schema: v.GenericSchema, type: "min_value" | "max_value"): number | undefined {
  const pipe = (schema as { pipe?: { type: string; requirement?: unknown }[] }).pipe ?? [];
  const found = pipe.find((item) => item.type === type)?.requirement;
  return typeof found === "number" ? found : undefined;
}

/** What a refused number says, in the label's words and the API's bounds. */
function numberMessage(field: NumberSetting): string {
  const [min, max] = [boundOf(field.schema, "min_value"), boundOf(field.schema, "max_value")];
  return `${field.label}: a whole number from ${min?.toLocaleString("en-US")} to ${max?.toLocaleString("en-US")}.`;
}

/**
 * The form as the admin API's patch of every setting: a ticked box sends "on" and an unticked one nothing;
 * a number that is no whole number is NaN, which the API's schema refuses like any value out of bounds.
 */
function patchOf(fields: Record<string, string>): unknown {
  const patch: Record<string, unknown> = {
    lockout: {},
    providers: {},
    mfa: {
      mode: fields["mfa.mode"],
      factors: factorTypes.filter((type) => fields[`mfa.factor.${type}`] === "on"),
      trustProviderMfa: fields["mfa.trustProviderMfa"] === "on",
    },
  };
  for (const { name } of switches) patch[name] = fields[name] === "on";
  for (const { name } of numberFields) {
    const value = /^\s*\d{1,12}\s*$/.test(fields[name] ?? "") ? Number(fields[name]) : Number.NaN;
    const [group, key] = name.split(".");
    if (key) (patch[group!] as Record<string, number>)[key] = value;
    else patch[name] = value;
  }
  for (const kind of accountKinds) {
    (patch.providers as Record<string, string[]>)[kind] = providerNames.filter((provider) => fields[`${kind}.${provider}`] === "on");
  }
  return patch;
}

/** A checkbox sends "on" when ticked and nothing when not; anything else is a page that was changed. */
const Checkbox = v.optional(v.literal("on"));

/** The form's own shape: its boxes, and its numbers as typed (their bounds are the API's, checked after). */
const SettingsForm = v.object({
  ...Object.fromEntries(switches.map(({ name }) => [name, Checkbox])),
  ...Object.fromEntries(accountKinds.flatMap((kind) => providerNames.map((provider) => [`${kind}.${provider}`, Checkbox]))),
  ...Object.fromEntries(numberFields.map(({ name }) => [name, v.optional(v.string())])),
  "mfa.mode": v.optional(v.picklist(mfaModes)),
  ...Object.fromEntries(factorTypes.map((type) => [`mfa.factor.${type}`, Checkbox])),
  "mfa.trustProviderMfa": Checkbox,
}) as v.GenericSchema<Record<string, string>>;

/** The settings as the form's fields: what a browser would send back unchanged. */
function fieldsOf(settings: TenantSettings): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const { name } of switches) if (settings[name]) fields[name] = "on";
  for (const kind of accountKinds) for (const provider of settings.providers[kind]) fields[`${kind}.${provider}`] = "on";
  for (const field of numberFields) fields[field.name] = String(field.of(settings));
  fields["mfa.mode"] = settings.mfa.mode;
  for (const type of settings.mfa.factors) fields[`mfa.factor.${type}`] = "on";
  if (settings.mfa.trustProviderMfa) fields["mfa.trustProviderMfa"] = "on";
  return fields;
}

/** The page, its form filled with `fields`: the saved settings', or the admin's own when refused. */
async function renderSettings(c: ConsoleContext, fields: Record<string, string>, view: { done?: string; errors?: string[]; status?: 200 | 400 }) {
  const { tenant, principal } = c.var;
  const csrfToken = await sessionCsrfToken(c);
  const base = consolePath(tenant.slug);
  const ticked = (name: string) => fields[name] === "on";
  return c.html(
    <ConsolePage title="Settings" base={base} tenantName={tenant.displayName} username={principal.user.username} csrf={csrfToken} current="settings">
      <Message text={view.done} />
      {view.errors && (
        <div class="msg error" role="alert">
          <p>Nothing was saved. Please correct:</p>
          <ul>
            {view.errors.map((error) => (
              <li>{error}</li>
            ))}
          </ul>
        </div>
      )}
      <form method="post" action={`${base}/settings`} class="card">
        <CsrfField token={csrfToken} />
        <fieldset>
          <legend>User management</legend>
          {switches.map((field) => (
            <div class="check">
              <input type="checkbox" id={field.name} name={field.name} checked={ticked(field.name)} aria-describedby={`${field.name}-hint`} />
              <div>
                <label for={field.name}>{field.label}</label>
                <span class="hint" id={`${field.name}-hint`}>{field.hint}</span>
              </div>
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>Sign-in providers</legend>
          <p class="hint">Besides the MyQ password, which every account has, the providers each kind of account may sign in with.</p>
          {accountKinds.map((kind) => (
            <fieldset>
              <legend class="hint">{kindNames[kind]}</legend>
              <div class="actions">
                {providerNames.map((provider) => (
                  <div class="check">
                    <input type="checkbox" id={`${kind}.${provider}`} name={`${kind}.${provider}`} checked={ticked(`${kind}.${provider}`)} />
                    <label for={`${kind}.${provider}`}>{providerLabels[provider]}</label>
                  </div>
                ))}
              </div>
            </fieldset>
          ))}
        </fieldset>
        <fieldset>
          <legend>Second factors</legend>
          {mfaModes.map((mode) => (
            <div class="check">
              <input type="radio" id={`mfa.mode.${mode}`} name="mfa.mode" value={mode} checked={fields["mfa.mode"] === mode} />
              <label for={`mfa.mode.${mode}`}>{mfaModeLabels[mode]}</label>
            </div>
          ))}
          <fieldset>
            <legend class="hint">Factors people may use (recovery codes come with the first)</legend>
            <div class="actions">
              {factorTypes.map((type) => (
                <div class="check">
                  <input type="checkbox" id={`mfa.factor.${type}`} name={`mfa.factor.${type}`} checked={ticked(`mfa.factor.${type}`)} />
                  <label for={`mfa.factor.${type}`}>{factorLabels[type]}</label>
                </div>
              ))}
            </div>
          </fieldset>
          <div class="check">
            <input type="checkbox" id="mfa.trustProviderMfa" name="mfa.trustProviderMfa" checked={ticked("mfa.trustProviderMfa")} aria-describedby="mfa.trustProviderMfa-hint" />
            <div>
              <label for="mfa.trustProviderMfa">Count a provider's own second factor</label>
              <span class="hint" id="mfa.trustProviderMfa-hint">When Apple, Google or Microsoft say their sign-in took two factors, printid asks no second one.</span>
            </div>
          </div>
        </fieldset>
        {numbers.map((group) => (
          <fieldset>
            <legend>{group.legend}</legend>
            {group.fields.map((field) => (
              <div class="field">
                <label for={field.name}>{field.label}</label>
                <span class="hint" id={`${field.name}-hint`}>{field.hint}</span>
                <input
                  type="number"
                  id={field.name}
                  name={field.name}
                  value={fields[field.name] ?? ""}
                  min={boundOf(field.schema, "min_value")}
                  max={boundOf(field.schema, "max_value")}
                  step={1}
                  required
                  aria-describedby={`${field.name}-hint`}
                />
              </div>
            ))}
          </fieldset>
        ))}
        <button type="submit">Save</button>
      </form>
    </ConsolePage>,
    view.status ?? 200,
  );
}

/** GET /settings: every setting of the admin API's `/admin/settings`, as one form. */
export function settingsPage(c: ConsoleContext) {
  const { done } = queryOf(c, v.object({ done: FlashQuery.done }));
  return renderSettings(c, fieldsOf(settingsOf(c.var.tenant)), { done: doneText(done) });
}

/**
 * POST /settings: the whole form, checked by the admin API's own schema (its bounds, said in the form's
 * words) and saved through its own function; refused, the page comes back as typed, saying what to fix.
 */
export async function saveSettingsForm(c: ConsoleContext) {
  const { tenant, db } = c.var;
  const fields = await formOf(c, SettingsForm);
  if (fields instanceof Response) return fields;
  const parsed = v.safeParse(SettingsPatch, patchOf(fields));
  if (!parsed.success) {
    const refused = new Set(fieldErrors(parsed.issues).map((error) => error.path));
    const errors = [
      ...numberFields.filter((field) => refused.has(field.name)).map(numberMessage),
      ...(refused.has("mfa.factors") ? ["Second factors: allow at least one factor."] : []),
    ];
    return renderSettings(c, fields, { errors: errors.length ? errors : ["Some of the settings are not as this page sends them."], status: 400 });
  }
  await saveSettings(db, tenant, parsed.output);
  return c.redirect(`${consolePath(tenant.slug)}/settings?done=saved`, 303);
}
