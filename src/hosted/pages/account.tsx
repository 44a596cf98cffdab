import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../credentials/password-policy";
import { messages, type Locale } from "../i18n";
import type { PageError } from "./error-summary";
import { FieldForm } from "./field-form";
import { HiddenFields, HostedPage } from "./layout";
import { codeField, recoveryField } from "./second-step";
import { TextField, type TextFieldProps } from "./text-field";

/** What the pages opened from a message's link do: confirm an address, ask for a reset, reset, accept an invitation. */
export type AccountAction = "verify" | "forgot" | "reset" | "invitation";

export interface AccountFormPageProps {
  locale: Locale;
  tenantName: string;
  action: AccountAction;
  formAction: string;
  hidden: Record<string, string>;
  error?: PageError;
  /** Forgot: the login to fill in again after a refusal. */
  login?: string;
  /** Forgot: back to the sign-in page it came from. */
  backHref?: string;
  /**
   * Reset, for a person with a second factor (rule M): the password again with a code (an app's or a
   * mailed one) or a recovery code; "Send me a code by e-mail" posts `email` with its hidden fields.
   */
  step?: { code: boolean; recovery: boolean; recoveryOpen?: boolean; mailed?: boolean; email?: { action: string; hidden: Record<string, string> } };
}

/** A page with the one form its action needs: a button, a login, or a new password. */
export function AccountFormPage(props: AccountFormPageProps) {
  const m = messages(props.locale);
  const t = m.account[props.action];
  const newPassword = (label: string): TextFieldProps => ({
    name: "password",
    label,
    hint: m.register.passwordRule,
    type: "password",
    autocomplete: "new-password",
    minlength: MIN_PASSWORD_LENGTH,
    maxlength: MAX_PASSWORD_LENGTH,
    required: true,
  });
  const { step } = props;
  // With a second factor, the code is typed or a recovery code is: neither field alone is required.
  const stepFields: TextFieldProps[] = step?.code ? [{ ...codeField(m, m.secondStep.code), required: false }] : [];
  const fields: Record<AccountAction, TextFieldProps[]> = {
    verify: [],
    forgot: [{ name: "login", label: m.signIn.login, type: "text", value: props.login ?? "", autocomplete: "username", required: true }],
    reset: [newPassword(m.account.reset.password), ...stepFields],
    invitation: [newPassword(m.account.invitation.password)],
  };
  const text = props.action === "invitation" ? m.account.invitation.text(props.tenantName) : m.account[props.action].text;
  const recovery = step?.recovery && (
    <details open={step.recoveryOpen || !step.code}>
      <summary>{m.secondStep.useRecovery}</summary>
      <TextField {...recoveryField(m)} required={false} />
    </details>
  );
  return (
    <HostedPage locale={props.locale} title={t.title} tenantName={props.tenantName} refused={props.error !== undefined}>
      <p>{text}</p>
      {step?.mailed && <p role="status" class="notice">{m.secondStep.emailSent}</p>}
      {step && <p>{m.account.reset.secondFactor}</p>}
      {step?.email && (
        <form method="post" action={step.email.action}>
          <HiddenFields fields={step.email.hidden} />
          <button type="submit" class="secondary">{m.secondStep.sendEmail}</button>
        </form>
      )}
      <FieldForm m={m} error={props.error} action={props.formAction} hidden={props.hidden} fields={fields[props.action]} submit={t.submit} more={recovery} />
      {props.backHref && (
        <p>
          <a href={props.backHref}>{m.account.forgot.back}</a>
        </p>
      )}
    </HostedPage>
  );
}

export interface AccountDonePageProps {
  locale: Locale;
  tenantName: string;
  action: AccountAction;
  backHref?: string;
}

/** What happened, said plainly, once a form of these pages has done its work. */
export function AccountDonePage(props: AccountDonePageProps) {
  const m = messages(props.locale);
  const words = { verify: m.account.verify.done, forgot: m.account.forgot.sent, reset: m.account.reset.done, invitation: m.account.invitation.done };
  return (
    <HostedPage locale={props.locale} title={m.account[props.action].title} tenantName={props.tenantName}>
      <p role="status">{words[props.action]}</p>
      {props.backHref && (
        <p>
          <a href={props.backHref}>{m.account.forgot.back}</a>
        </p>
      )}
    </HostedPage>
  );
}
