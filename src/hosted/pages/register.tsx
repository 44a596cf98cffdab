import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../credentials/password-policy";
import { messages, type Locale } from "../i18n";
import type { PageError } from "./error-summary";
import { FieldForm } from "./field-form";
import { HostedPage } from "./layout";
import type { TextFieldProps } from "./text-field";

export interface RegisterPageProps {
  locale: Locale;
  tenantName: string;
  formAction: string;
  hidden: Record<string, string>;
  /** What was typed before a refusal (never the password). */
  values?: { email?: string; firstName?: string; lastName?: string; username?: string };
  error?: PageError;
  signInHref: string;
  clientName?: string;
}

/**
 * Self-registration of a personal MyQ account. The fields are named as the registration API names them,
 * so the server's field errors (`path`) land on their field. Last name and username may be left empty.
 */
export function RegisterPage(props: RegisterPageProps) {
  const m = messages(props.locale);
  const t = m.register;
  const values = props.values ?? {};
  // In this order on the page; the summary links each field error to its field.
  const fields: TextFieldProps[] = [
    { name: "email", label: t.email, type: "email", value: values.email ?? "", autocomplete: "email", required: true },
    {
      name: "password",
      label: t.password,
      hint: t.passwordRule,
      type: "password",
      autocomplete: "new-password",
      minlength: MIN_PASSWORD_LENGTH,
      maxlength: MAX_PASSWORD_LENGTH,
      required: true,
    },
    { name: "firstName", label: t.firstName, type: "text", value: values.firstName ?? "", autocomplete: "given-name", required: true },
    { name: "lastName", label: t.lastName, type: "text", value: values.lastName ?? "", autocomplete: "family-name" },
    {
      name: "username",
      label: t.username,
      hint: t.usernameRule,
      type: "text",
      value: values.username ?? "",
      autocomplete: "username",
      autocapitalize: "none",
      spellcheck: false,
    },
  ];
  return (
    <HostedPage
      locale={props.locale}
      title={t.title}
      tenantName={props.tenantName}
      lead={props.clientName && m.continueTo(props.clientName)}
      refused={props.error !== undefined}
    >
      <FieldForm m={m} error={props.error} action={props.formAction} hidden={props.hidden} fields={fields} submit={t.submit} />
      <p>
        {t.haveAccount} <a href={props.signInHref}>{t.signIn}</a>
      </p>
    </HostedPage>
  );
}
