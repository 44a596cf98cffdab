import type { ContentfulStatusCode } from "hono/utils/http-status";
import { messages, type ErrorPageCode, type Locale } from "../i18n";
import { HostedPage } from "./layout";

export interface ErrorPageProps {
  locale: Locale;
  /** Instead of the code's own title. */
  title?: string;
  code: ErrorPageCode;
  /** For whoever debugs the application (which parameter was wrong): shown as given, in English. */
  detail?: string;
  backHref?: string;
}

/** The status each error page answers with. */
export const errorPageStatus: Record<ErrorPageCode, ContentfulStatusCode> = {
  invalid_client: 400,
  invalid_redirect_uri: 400,
  invalid_request: 400,
  tenant_not_found: 404,
  tenant_disabled: 403,
  server_error: 500,
  csrf: 403,
  session_expired: 400,
};

/**
 * What is shown when nothing can be sent back to the application: its client or redirect URI cannot be
 * trusted, the tenant is unknown or disabled, a form was refused. Never a redirect; the person is told to
 * go back to the application.
 */
export function ErrorPage(props: ErrorPageProps) {
  const m = messages(props.locale);
  const page = m.errorPages[props.code];
  return (
    <HostedPage locale={props.locale} title={props.title ?? page.title} refused>
      <p role="alert">{page.text}</p>
      {props.detail && (
        <p class="muted">
          {m.technicalDetail} <span lang="en">{props.detail}</span>
        </p>
      )}
      {props.backHref && (
        <p>
          <a href={props.backHref}>{m.back}</a>
        </p>
      )}
    </HostedPage>
  );
}
