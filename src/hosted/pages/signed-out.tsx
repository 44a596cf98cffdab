import { messages, type Locale } from "../i18n";
import { HostedPage } from "./layout";

export interface SignedOutPageProps {
  locale: Locale;
  tenantName: string;
  /** Back to the application, where it gave none to redirect to. */
  returnHref?: string;
}

/** After a logout that has nowhere to redirect: the session is over. */
export function SignedOutPage(props: SignedOutPageProps) {
  const t = messages(props.locale).signedOut;
  return (
    <HostedPage locale={props.locale} title={t.title} tenantName={props.tenantName}>
      <p role="status">{t.text(props.tenantName)}</p>
      {props.returnHref && (
        <p>
          <a href={props.returnHref}>{t.back}</a>
        </p>
      )}
    </HostedPage>
  );
}
