import type { Locale } from "../hosted/i18n";
import { mailMessages, type MailKind } from "./i18n";

/** What a message says: its kind, the tenant it speaks for, the link that uses it and, for e-mail, its code. */
export interface MailContent {
  kind: MailKind;
  locale: Locale;
  tenantName: string;
  link: string;
  code?: string;
}

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

/**
 * One message in both forms Email Service sends: plain text (read by any mail reader, and by the tests)
 * and HTML (a button). Both come from the same sentences of the catalogue, so they never say different
 * things. hono/jsx escapes every value, the tenant's name included.
 */
export async function composeMail(content: MailContent): Promise<ComposedMail> {
  const t = mailMessages(content.locale);
  const words = t[content.kind];
  const lead = words.lead(content.tenantName);
  const code = content.code && t.code(content.code);
  const text = [lead, content.link, code, words.expiry, words.notAsked].filter(Boolean).join("\n\n");
  const html = (
    <html lang={content.locale}>
      <body style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 36rem; margin: 0 auto; padding: 1rem;">
        <p>{lead}</p>
        <p>
          <a href={content.link} style="display: inline-block; padding: 0.6rem 1.2rem; background: #1a56db; color: #fff; border-radius: 0.4rem; text-decoration: none;">
            {words.action}
          </a>
        </p>
        {code && <p style="font-size: 1.2rem; letter-spacing: 0.1em;">{code}</p>}
        <p style="color: #555;">{words.expiry}</p>
        <p style="color: #555;">{words.notAsked}</p>
        <p style="color: #555; font-size: 0.85rem; word-break: break-all;">
          {t.linkFallback} {content.link}
        </p>
      </body>
    </html>
  );
  return { subject: words.subject(content.tenantName), text, html: `<!doctype html>${await html.toString()}` };
}
