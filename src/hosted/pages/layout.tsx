import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { messages, type Locale } from "../i18n";
import { stylesheet } from "./style";

export interface HostedPageProps {
  locale: Locale;
  /** The page's name, in <title> and, unless `heading` says otherwise, in <h1>. */
  title: string;
  heading?: string;
  /** The tenant's display name, above the heading and in <title>; absent where no tenant is known. */
  tenantName?: string;
  /** A line under the heading, such as "to continue to {client}". */
  lead?: string;
  /** The page shows a refusal: <title> says so first, as screen readers read it on arrival. */
  refused?: boolean;
  /** The passkey script's URL, on a page that offers passkeys (the one script the pages have: passkey-script.ts). */
  script?: string;
  children: Child;
}

/**
 * Every hosted page: plain HTML in the chosen language, no script but the passkey script where passkeys
 * are offered (all of the rest works with JavaScript off), the one inline stylesheet, no external
 * resource; the tenant's name, a heading, then the page's content.
 */
export function HostedPage(props: HostedPageProps) {
  const named = props.tenantName ? `${props.title} · ${props.tenantName}` : props.title;
  return (
    <>
      {raw("<!doctype html>")}
      <html lang={props.locale}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          <title>{props.refused ? messages(props.locale).errorTitle(named) : named}</title>
          <style>{raw(stylesheet)}</style>
          {props.script && <script src={props.script} defer></script>}
        </head>
        <body>
          <div class="page">
            {props.tenantName && <header class="tenant">{props.tenantName}</header>}
            <main>
              <h1>{props.heading ?? props.title}</h1>
              {props.lead && <p class="lead">{props.lead}</p>}
              {props.children}
            </main>
          </div>
        </body>
      </html>
    </>
  );
}

/** The fields the caller hands over to be posted back as they are (CSRF token, signed request). */
export function HiddenFields(props: { fields: Record<string, string> }) {
  return (
    <>
      {Object.entries(props.fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
    </>
  );
}
