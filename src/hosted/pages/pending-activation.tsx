import { messages, type Locale } from "../i18n";
import { HostedPage } from "./layout";

export interface PendingActivationPageProps {
  locale: Locale;
  tenantName: string;
  /** The new account's address, so the person knows which account waits. */
  email?: string;
  signInHref: string;
  /** What the account waits for: an admin's activation (rule R), or its address to be confirmed (rule E). */
  waitingFor: "activation" | "email";
}

/** After a registration that opens no session yet (rule R or E): what happens next. */
export function PendingActivationPage(props: PendingActivationPageProps) {
  const t = messages(props.locale)[props.waitingFor === "email" ? "checkEmail" : "pendingActivation"];
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
