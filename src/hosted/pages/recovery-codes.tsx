import { messages, type Catalogue, type Locale } from "../i18n";
import { HiddenFields, HostedPage } from "./layout";

export interface RecoveryCodesPageProps {
  locale: Locale;
  tenantName: string;
  codes: string[];
  /** Where "Continue" goes: a form (the sign-in goes on to the client) or a link (back to the account's page). */
  next: { action: string; hidden: Record<string, string> } | { href: string };
}

/** Recovery codes, the one time they are shown, with what they are for (any page that shows them). */
export function RecoveryCodeList(props: { m: Catalogue; codes: string[] }) {
  const t = props.m.recoveryCodes;
  return (
    <>
      <p>{t.text}</p>
      <ul class="codes" aria-label={t.list}>
        {props.codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
    </>
  );
}

/** A person's recovery codes, the one time they are shown, then "Continue". */
export function RecoveryCodesPage(props: RecoveryCodesPageProps) {
  const m = messages(props.locale);
  const t = m.recoveryCodes;
  const { next } = props;
  return (
    <HostedPage locale={props.locale} title={t.title} tenantName={props.tenantName}>
      <RecoveryCodeList m={m} codes={props.codes} />
      {"href" in next ? (
        <a class="button" href={next.href}>
          {t.continue}
        </a>
      ) : (
        <form method="post" action={next.action}>
          <HiddenFields fields={next.hidden} />
          <button type="submit">{t.continue}</button>
        </form>
      )}
    </HostedPage>
  );
}
