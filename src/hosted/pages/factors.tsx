import type { FactorType } from "../../db/schema";
import { messages, type Catalogue, type Locale } from "../i18n";
import { ErrorSummary, fieldErrorsOf, type PageError } from "./error-summary";
import { HiddenFields, HostedPage } from "./layout";
import { PasskeyForm } from "./passkey";
import { codeField, StepForms, TotpSetup } from "./second-step";
import { TextField, type TextFieldProps } from "./text-field";

/** A button that posts the page's hidden fields (and `fields`) to `action`. */
function PostButton(props: { action: string; hidden: Record<string, string>; fields?: Record<string, string>; label: string; secondary?: boolean }) {
  return (
    <form method="post" action={props.action}>
      <HiddenFields fields={{ ...props.hidden, ...props.fields }} />
      <button type="submit" class={props.secondary ? "secondary" : undefined}>
        {props.label}
      </button>
    </form>
  );
}

const dateOf = (locale: Locale, date: Date) => new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(date);

export interface FactorsPageProps {
  locale: Locale;
  tenantName: string;
  /** Whether the tenant requires the person to keep a factor; undefined where it uses none. */
  required: boolean | undefined;
  factors: { type: Exclude<FactorType, "passkey">; createdAt: Date; removable: boolean }[];
  passkeys: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null; removable: boolean }[];
  recoveryCodesLeft: number;
  /**
   * What the person may add: an app, e-mail codes, or e-mail codes once their address is confirmed, and a
   * passkey (with the passkey script): its options fetched from `optionsAction`, or made for this page
   * after the step the change asked (`options`, with the `name` typed before it).
   */
  add: { totp: boolean; email: boolean | "address needed"; passkey?: { optionsAction?: string; options?: unknown; name?: string } };
  /** The passkey script, where a passkey may be added. */
  script?: string;
  /** `/t/{tenant}/account/factors`: each change posts to a path under it. */
  base: string;
  hidden: Record<string, string>;
  signOut: { action: string; hidden: Record<string, string> };
  done?: keyof Catalogue["factors"]["done"];
  error?: PageError;
}

/** A new passkey's name, as the person tells their passkeys apart. */
const passkeyNameField = (m: Catalogue, value = ""): TextFieldProps => ({
  name: "passkey_name",
  label: m.factors.passkeyName,
  hint: m.factors.passkeyNameHint,
  type: "text",
  value,
  maxlength: 64,
  autocomplete: "off",
  required: true,
});

/**
 * The account's "Second factors": what the person has, what the tenant asks of them, and a button for
 * each change (set up an app or e-mail codes, add a passkey, new recovery codes, remove one), then "Sign out".
 */
export function FactorsPage(props: FactorsPageProps) {
  const m = messages(props.locale);
  const t = m.factors;
  const { add } = props;
  const policy = props.required === undefined ? t.off : props.required ? t.required : t.optional;
  const anyFactor = props.factors.length + props.passkeys.length > 0;
  const withoutScript = add.totp || add.email;
  const passkeyName = add.passkey && passkeyNameField(m, add.passkey.name);
  return (
    <HostedPage locale={props.locale} title={t.title} tenantName={props.tenantName} refused={props.error !== undefined} script={props.script}>
      {props.done && (
        <p role="status" class="notice">
          {t.done[props.done]}
        </p>
      )}
      {add.passkey?.options !== undefined && (
        <p role="status" class="notice" data-passkey-part="" hidden>
          {t.passkeyReady}
        </p>
      )}
      <ErrorSummary m={m} error={props.error} fields={passkeyName ? [passkeyName] : []} />
      <p>{policy}</p>
      <h2>{t.yours}</h2>
      {anyFactor ? (
        <ul class="factors">
          {props.factors.map((factor) => (
            <li>
              <strong>{t.types[factor.type]}</strong>
              <p class="muted">{t.since(dateOf(props.locale, factor.createdAt))}</p>
              {factor.removable ? (
                <PostButton action={`${props.base}/remove`} hidden={props.hidden} fields={{ type: factor.type }} label={t.remove(t.types[factor.type])} secondary />
              ) : (
                <p class="muted">{t.keepOne}</p>
              )}
            </li>
          ))}
          {props.passkeys.map((passkey) => (
            <li>
              <strong>
                {t.types.passkey}: {passkey.name}
              </strong>
              <p class="muted">
                {t.since(dateOf(props.locale, passkey.createdAt))}
                {passkey.lastUsedAt && ` · ${t.lastUsed(dateOf(props.locale, passkey.lastUsedAt))}`}
              </p>
              {passkey.removable ? (
                <PostButton action={`${props.base}/remove`} hidden={props.hidden} fields={{ type: "passkey", passkey: passkey.id }} label={t.removePasskey(passkey.name)} secondary />
              ) : (
                <p class="muted">{t.keepOne}</p>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p>{t.none}</p>
      )}
      {(withoutScript || passkeyName) && (
        <>
          {/* With a passkey alone to add, the heading waits for the script too. */}
          <h2 data-passkey-part={withoutScript ? undefined : ""} hidden={!withoutScript}>
            {t.add}
          </h2>
          {add.totp && <PostButton action={`${props.base}/totp`} hidden={props.hidden} label={t.addTotp} />}
          {add.email === true && <PostButton action={`${props.base}/email`} hidden={props.hidden} label={t.addEmail} secondary />}
          {add.email === "address needed" && <p class="muted">{t.emailNeedsAddress}</p>}
          {add.passkey && passkeyName && (
            <PasskeyForm
              m={m}
              kind="create"
              action={`${props.base}/passkey`}
              hidden={props.hidden}
              responseField="passkey_credential"
              optionsAction={add.passkey.optionsAction}
              options={add.passkey.options}
              label={t.addPasskey}
              secondary={add.totp}
            >
              <TextField {...passkeyName} errors={fieldErrorsOf(props.error, passkeyName.name)} />
            </PasskeyForm>
          )}
        </>
      )}
      {anyFactor && (
        <>
          <h2>{t.recovery}</h2>
          <p>{t.recoveryLeft(props.recoveryCodesLeft)}</p>
          <p class="hint">{t.newRecoveryHint}</p>
          <PostButton action={`${props.base}/recovery-codes`} hidden={props.hidden} label={t.newRecovery} secondary />
        </>
      )}
      <PostButton action={props.signOut.action} hidden={props.signOut.hidden} label={t.signOut} secondary />
    </HostedPage>
  );
}

/** Where the account's pages send a person whose browser is not signed in. */
export function SignInFirstPage(props: { locale: Locale; tenantName: string }) {
  const t = messages(props.locale).factors;
  return (
    <HostedPage locale={props.locale} title={t.title} tenantName={props.tenantName}>
      <p>{t.signInFirst}</p>
    </HostedPage>
  );
}

export interface FactorStepPageProps {
  locale: Locale;
  tenantName: string;
  /** The change's own path (the answer posts there again), and the mailed code's. */
  action: string;
  emailAction: string;
  hidden: Record<string, string>;
  step: { code: boolean; email: boolean; recovery: boolean; recoveryOpen?: boolean; mailed?: boolean };
  /** "Use a passkey", where the person has one: where the passkey script asks for its options, and the script. */
  passkey?: { options: string; script: string };
  error?: PageError;
  backHref: string;
}

/** "Confirm it's you": a change of the person's factors asks a fresh second factor first. */
export function FactorStepPage(props: FactorStepPageProps) {
  const m = messages(props.locale);
  const { step } = props;
  return (
    <HostedPage locale={props.locale} title={m.factors.confirmTitle} tenantName={props.tenantName} refused={props.error !== undefined} script={props.passkey?.script}>
      {step.mailed && (
        <p role="status" class="notice">
          {m.secondStep.emailSent}
        </p>
      )}
      <p>{m.factors.confirmText}</p>
      <StepForms
        m={m}
        hidden={props.hidden}
        answerAction={props.action}
        emailAction={step.email ? props.emailAction : undefined}
        code={step.code}
        recovery={step.recovery}
        recoveryOpen={step.recoveryOpen}
        passkeyOptions={props.passkey?.options}
        error={props.error}
      />
      <p>
        <a href={props.backHref}>{m.factors.back}</a>
      </p>
    </HostedPage>
  );
}

export interface AppSetupPageProps {
  locale: Locale;
  tenantName: string;
  /** The new key: absent when the page asks its first code again (the key was shown already). */
  enrolment?: { qrSvg: string; secret: string };
  confirmAction: string;
  /** "Start again": a new key. */
  restartAction: string;
  hidden: Record<string, string>;
  error?: PageError;
  backHref: string;
}

/** An authenticator app being set up from the account: its QR code and key, then its first code. */
export function AppSetupPage(props: AppSetupPageProps) {
  const m = messages(props.locale);
  const code = codeField(m, m.setUp.firstCode);
  return (
    <HostedPage locale={props.locale} title={m.setUp.totpTitle} tenantName={props.tenantName} refused={props.error !== undefined}>
      {props.enrolment && <TotpSetup m={m} qrSvg={props.enrolment.qrSvg} secret={props.enrolment.secret} />}
      <ErrorSummary m={m} error={props.error} fields={[code]} />
      <form method="post" action={props.confirmAction}>
        <HiddenFields fields={props.hidden} />
        <TextField {...code} errors={fieldErrorsOf(props.error, code.name)} />
        <button type="submit">{m.setUp.confirm}</button>
      </form>
      {!props.enrolment && <PostButton action={props.restartAction} hidden={props.hidden} label={m.secondStep.startAgain} secondary />}
      <p>
        <a href={props.backHref}>{m.factors.back}</a>
      </p>
    </HostedPage>
  );
}
