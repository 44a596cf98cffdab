import { raw } from "hono/html";
import type { Catalogue, Locale } from "../i18n";
import { messages } from "../i18n";
import { ErrorSummary, fieldErrorsOf, type PageError } from "./error-summary";
import { HiddenFields, HostedPage } from "./layout";
import { PasskeyForm } from "./passkey";
import { TextField, type TextFieldProps } from "./text-field";

/** Where a step's forms post, and what each carries back (CSRF token, the step's token, the request). */
export interface StepFormsProps {
  m: Catalogue;
  hidden: Record<string, string>;
  /** The answer: a code, or a recovery code. */
  answerAction: string;
  /** "Send me a code by e-mail", where the person has e-mail codes (or is setting them up). */
  emailAction?: string;
  /** Whether the person has recovery codes to use instead ("Use a recovery code"), and whether that is open. */
  recovery: boolean;
  recoveryOpen?: boolean;
  /** Whether a code can be typed (an app's or a mailed one); otherwise only a recovery code answers. */
  code: boolean;
  /** "Use a passkey", where the person has one: where the passkey script asks for its options (the page runs the script). */
  passkeyOptions?: string;
  /** "Remember this device for N days", where the tenant remembers devices. */
  rememberDays?: number;
  codeLabel?: string;
  error?: PageError;
}

/** The 6-digit code field: a phone shows digits and offers a code from its messages. */
export const codeField = (m: Catalogue, label: string): TextFieldProps => ({
  name: "code",
  label,
  hint: m.secondStep.codeHint,
  type: "text",
  inputmode: "numeric",
  autocomplete: "one-time-code",
  maxlength: 7,
  required: true,
});

export const recoveryField = (m: Catalogue): TextFieldProps => ({
  name: "recovery_code",
  label: m.secondStep.recoveryCode,
  hint: m.secondStep.recoveryHint,
  type: "text",
  autocomplete: "off",
  autocapitalize: "none",
  spellcheck: false,
  maxlength: 32,
  required: true,
});

function Remember(props: { m: Catalogue; days?: number; id: string }) {
  if (!props.days) return null;
  return (
    <div class="check">
      <input type="checkbox" id={props.id} name="remember" value="on" />
      <label for={props.id}>{props.m.secondStep.remember(props.days)}</label>
    </div>
  );
}

/**
 * How a second step is answered, on every page that asks one: "Use a passkey" (with the passkey script),
 * the code (an app's, or a mailed one), "Send me a code by e-mail", and a recovery code behind a
 * disclosure (open when that is what was refused, or when nothing else answers). Plain forms but the
 * passkey's, which shows only where the script runs.
 */
export function StepForms(props: StepFormsProps) {
  const { m } = props;
  const code = codeField(m, props.codeLabel ?? m.secondStep.code);
  const recovery = recoveryField(m);
  return (
    <>
      <ErrorSummary m={m} error={props.error} fields={[code, recovery]} />
      {props.passkeyOptions && (
        <PasskeyForm
          m={m}
          kind="get"
          action={props.answerAction}
          hidden={props.hidden}
          responseField="webauthn_response"
          optionsAction={props.passkeyOptions}
          label={m.secondStep.usePasskey}
          secondary={props.code}
        >
          <Remember m={m} days={props.rememberDays} id="remember-passkey" />
        </PasskeyForm>
      )}
      {props.code && (
        <form method="post" action={props.answerAction}>
          <HiddenFields fields={props.hidden} />
          <TextField {...code} errors={fieldErrorsOf(props.error, code.name)} autofocus={!props.error} />
          <Remember m={m} days={props.rememberDays} id="remember" />
          <button type="submit">{m.secondStep.verify}</button>
        </form>
      )}
      {props.emailAction && (
        <form method="post" action={props.emailAction}>
          <HiddenFields fields={props.hidden} />
          <button type="submit" class="secondary">{m.secondStep.sendEmail}</button>
        </form>
      )}
      {props.recovery && (
        <details open={props.recoveryOpen || (!props.code && !props.passkeyOptions)}>
          <summary>{m.secondStep.useRecovery}</summary>
          <form method="post" action={props.answerAction}>
            <HiddenFields fields={props.hidden} />
            <TextField {...recovery} errors={fieldErrorsOf(props.error, recovery.name)} />
            <Remember m={m} days={props.rememberDays} id="remember-recovery" />
            <button type="submit">{m.secondStep.verifyRecovery}</button>
          </form>
        </details>
      )}
    </>
  );
}

/** The key of an authenticator app, in groups of four as apps show keys, for typing it by hand. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)?.join(" ") ?? secret;

/** An authenticator app's QR code (an SVG made in the Worker: inline, so no image request) and its key as text. */
export function TotpSetup(props: { m: Catalogue; qrSvg: string; secret: string }) {
  const t = props.m.setUp;
  return (
    <>
      <p>{t.totpSteps}</p>
      <div class="qr" role="img" aria-label={t.qr}>
        {raw(props.qrSvg)}
      </div>
      <p>
        {t.key}: <code class="key">{grouped(props.secret)}</code>
      </p>
    </>
  );
}

/** What the sign-in's second step shows: the answer, the choice of a first factor, or an app being set up. */
export type SecondStepState =
  | { kind: "answer"; code: boolean; email: boolean; recovery: boolean; passkey?: boolean; recoveryOpen?: boolean; mailed?: boolean }
  | { kind: "choose"; setUp: ("totp" | "email")[] }
  | { kind: "totp"; qrSvg: string; secret: string };

export interface SecondStepContentProps {
  m: Catalogue;
  state: SecondStepState;
  /** Where each form posts; `passkeyOptions` where the page offers a passkey (and runs the passkey script). */
  actions: { answer: string; email: string; enrol: string; passkeyOptions?: string };
  hidden: Record<string, string>;
  rememberDays: number;
  error?: PageError;
  /** Back to the sign-in page, as someone else. */
  signInHref: string;
  /** Whether the person is setting up a first factor (then "Start again" goes back to the choice). */
  settingUp: boolean;
}

export interface SecondStepPageProps extends Omit<SecondStepContentProps, "m"> {
  locale: Locale;
  tenantName: string;
  clientName?: string;
  /** The passkey script, where the step offers a passkey. */
  script?: string;
}

function answerText(m: Catalogue, state: Extract<SecondStepState, { kind: "answer" }>): string {
  if (!state.code) return state.passkey ? m.secondStep.passkeyOnly : m.secondStep.recoveryOnly;
  if (state.email && state.recovery) return m.secondStep.appOrEmail;
  return state.email ? m.secondStep.email : m.secondStep.app;
}

/** The step's title: the answer's, the choice of a first factor's, or an app's being set up. */
export function secondStepTitle(m: Catalogue, state: SecondStepState): string {
  return state.kind === "answer" ? m.secondStep.title : state.kind === "choose" ? m.setUp.title : m.setUp.totpTitle;
}

/**
 * A sign-in's second step (rule M), whatever page holds it (the hosted sign-in, the console's): a person
 * who owes a second factor answers it; one who has none sets one up first (an authenticator app, by its
 * QR code or key, or codes by e-mail).
 */
export function SecondStepContent(props: SecondStepContentProps) {
  const { m, state } = props;
  const forms = (extra: Partial<StepFormsProps>) => (
    <StepForms m={m} hidden={props.hidden} answerAction={props.actions.answer} code recovery={false} rememberDays={props.rememberDays} error={props.error} {...extra} />
  );
  return (
    <>
      {state.kind === "answer" && (
        <>
          {state.mailed && <p role="status" class="notice">{m.secondStep.emailSent}</p>}
          <p>{answerText(m, state)}</p>
          {forms({
            code: state.code,
            recovery: state.recovery,
            recoveryOpen: state.recoveryOpen,
            emailAction: state.email ? props.actions.email : undefined,
            passkeyOptions: state.passkey ? props.actions.passkeyOptions : undefined,
          })}
        </>
      )}
      {state.kind === "choose" && (
        <>
          <ErrorSummary m={m} error={props.error} fields={[]} />
          <p>{state.setUp.length > 0 ? m.setUp.text : m.setUp.none}</p>
          {state.setUp.map((type) => (
            <form method="post" action={props.actions.enrol}>
              <HiddenFields fields={props.hidden} />
              <button type="submit" name="type" value={type} class={type === "totp" ? undefined : "secondary"}>
                {type === "totp" ? m.setUp.totp : m.setUp.email}
              </button>
            </form>
          ))}
        </>
      )}
      {state.kind === "totp" && (
        <>
          <TotpSetup m={m} qrSvg={state.qrSvg} secret={state.secret} />
          {forms({ codeLabel: m.setUp.firstCode })}
        </>
      )}
      {props.settingUp && state.kind !== "choose" && (
        <form method="post" action={props.actions.enrol}>
          <HiddenFields fields={props.hidden} />
          <button type="submit" class="secondary">{m.secondStep.startAgain}</button>
        </form>
      )}
      <p>
        <a href={props.signInHref}>{m.secondStep.otherAccount}</a>
      </p>
    </>
  );
}

/** The hosted sign-in's second step. */
export function SecondStepPage(props: SecondStepPageProps) {
  const m = messages(props.locale);
  const { locale, tenantName, clientName, script, ...content } = props;
  return (
    <HostedPage
      locale={locale}
      title={secondStepTitle(m, props.state)}
      tenantName={tenantName}
      lead={clientName && m.continueTo(clientName)}
      refused={props.error !== undefined}
      script={script}
    >
      <SecondStepContent m={m} {...content} />
    </HostedPage>
  );
}
