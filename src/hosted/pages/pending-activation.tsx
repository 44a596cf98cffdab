import { messages, type Locale } from "../i18n";
import { HostedPage } from "./layout";

export interface PendingActivationPageProps {
  locale: Locale;
  tenantName: string;
  /** The new account's address, so the person knows which account waits. */
  email?: string;
  signInHref: string;
}

/** After a registration on a tenant whose new users wait for an admin (rule R): what happens next. */
export function PendingActivationPage(props: PendingActivationPageProps) {
  const t = messages(props.locale).pendingActivation;
  return (
    <HostedPage locale={props.locale} title={t.title} tenantName={props.tenantName}>
      <p>{t.text}</p>
      {props.email && (
        <p class="muted">
          {t.account} {props.email}
        </p>
      )}
      <p>
        <a href={props.signInHref}>{t.signIn}</a>
      </p>
    </HostedPage>
  );
}
