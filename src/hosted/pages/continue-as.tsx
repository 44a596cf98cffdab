import { messages, type Locale } from "../i18n";
import { HiddenFields, HostedPage } from "./layout";

export interface PostForm {
  action: string;
  hidden: Record<string, string>;
}

export interface ContinueAsPageProps {
  locale: Locale;
  tenantName: string;
  /** Who the browser's session belongs to. */
  person: { displayName: string; login: string };
  continueForm: PostForm;
  otherAccountForm: PostForm;
  clientName?: string;
}

/** `prompt=select_account` with a session: continue as its person, or sign in with another account. */
export function ContinueAsPage(props: ContinueAsPageProps) {
  const m = messages(props.locale);
  const t = m.continueAs;
  return (
    <HostedPage locale={props.locale} title={t.title} tenantName={props.tenantName} lead={props.clientName && m.continueTo(props.clientName)}>
      <form method="post" action={props.continueForm.action}>
        <HiddenFields fields={props.continueForm.hidden} />
        <button type="submit">
          {t.continueAs(props.person.displayName)}
          <small>{props.person.login}</small>
        </button>
      </form>
      <form method="post" action={props.otherAccountForm.action}>
        <HiddenFields fields={props.otherAccountForm.hidden} />
        <button type="submit" class="secondary">
          {t.other}
        </button>
      </form>
    </HostedPage>
  );
}
