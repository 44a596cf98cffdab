import { messages, type Locale } from "../i18n";
import { HiddenFields, HostedPage } from "./layout";

export interface LogoutConfirmPageProps {
  locale: Locale;
  tenantName: string;
  formAction: string;
  hidden: Record<string, string>;
  clientName?: string;
}

/**
 * A logout request without a valid `id_token_hint` could come from any site: the person confirms it
 * (OIDC RP-Initiated Logout §2), by a form that carries the CSRF token.
 */
export function LogoutConfirmPage(props: LogoutConfirmPageProps) {
  const t = messages(props.locale).logoutConfirm;
  return (
    <HostedPage locale={props.locale} title={t.submit} heading={t.question(props.tenantName)} tenantName={props.tenantName}>
      {props.clientName && <p>{t.asks(props.clientName)}</p>}
      <form method="post" action={props.formAction}>
        <HiddenFields fields={props.hidden} />
        <button type="submit">{t.submit}</button>
      </form>
      <p class="muted">{t.text}</p>
    </HostedPage>
  );
}
