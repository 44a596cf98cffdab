import { accountKinds, type AccountKind, type ProviderName } from "../../db/schema";
import { messages, type Locale } from "../i18n";
import type { PageError } from "./error-summary";
import { FieldForm } from "./field-form";
import { HostedPage } from "./layout";
import { PasskeyForm } from "./passkey";
import type { TextFieldProps } from "./text-field";

export interface SignInPageProps {
  locale: Locale;
  /** The tenant's display name. */
  tenantName: string;
  /** The kind of account this page signs in to: its tab is the current one. */
  account: AccountKind;
  /** Where each kind of account the tenant offers is signed in to; an absent kind has no tab. */
  accountLinks: Partial<Record<AccountKind, string>>;
  formAction: string;
  hidden: Record<string, string>;
  /** The login to show in its field: `login_hint`, or what was typed before a refusal (never the password). */
  login?: string;
  error?: PageError;
  /** The providers the tenant offers for this kind of account, each with where its sign-in starts. */
  providers: { name: ProviderName; href: string }[];
  /** Present only where the tenant allows users to register. */
  registerHref?: string;
  /** "Forgot your password?": the reset page, which comes back here. */
  forgotHref?: string;
  /** "Sign in with a passkey", where the tenant allows passkeys: where its options are asked, its answer posted, and the script. */
  passkey?: { options: string; answer: string; script: string };
  clientName?: string;
}

/** Brand names are never translated. */
const brands: Record<ProviderName, string> = { apple: "Apple", google: "Google", microsoft: "Microsoft" };

/**
 * The hosted sign-in: WORK ACCOUNT / PERSONAL ACCOUNT as two tabs (links, since each kind is its own
 * page), MyQ credentials, "Sign in with a passkey" (with the passkey script; its passkeys are also among
 * the login field's suggestions), then a button for each provider, then "Create an account".
 */
export function SignInPage(props: SignInPageProps) {
  const m = messages(props.locale);
  const t = m.signIn;
  const fields: TextFieldProps[] = [
    {
      name: "login",
      label: t.login,
      type: "text",
      value: props.login ?? "",
      autocomplete: props.passkey ? "username webauthn" : "username",
      autocapitalize: "none",
      spellcheck: false,
      required: true,
    },
    { name: "password", label: t.password, type: "password", autocomplete: "current-password", required: true },
  ];
  const tabs = accountKinds.filter((kind) => props.accountLinks[kind] !== undefined);
  return (
    <HostedPage
      locale={props.locale}
      title={t.title}
      tenantName={props.tenantName}
      lead={props.clientName && m.continueTo(props.clientName)}
      refused={props.error !== undefined}
      script={props.passkey?.script}
    >
      {tabs.length > 0 && (
        <nav class="tabs" aria-label={t.accountKinds}>
          <ul>
            {tabs.map((kind) => (
              <li>
                <a href={props.accountLinks[kind]} aria-current={kind === props.account ? "page" : undefined}>
                  {t[kind]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <FieldForm m={m} error={props.error} action={props.formAction} hidden={props.hidden} fields={fields} submit={t.submit} />
      {(props.providers.length > 0 || props.passkey) && (
        <>
          {/* Before a passkey alone, "or" waits for the script too. */}
          <p class="or" data-passkey-part={props.providers.length > 0 ? undefined : ""} hidden={props.providers.length === 0}>
            {t.or}
          </p>
          {props.passkey && (
            <PasskeyForm
              m={m}
              kind="get"
              action={props.passkey.answer}
              hidden={props.hidden}
              responseField="webauthn_response"
              optionsAction={props.passkey.options}
              conditional
              label={t.passkey}
              secondary
            />
          )}
          {props.providers.map((provider) => (
            <a class="button secondary" href={provider.href}>
              {t.continueWith(brands[provider.name])}
            </a>
          ))}
        </>
      )}
      {props.forgotHref && (
        <p>
          <a href={props.forgotHref}>{t.forgot}</a>
        </p>
      )}
      {props.registerHref && (
        <p>
          {t.noAccount} <a href={props.registerHref}>{t.register}</a>
        </p>
      )}
    </HostedPage>
  );
}
