import type { Tenant } from "../db/schema";
import type { Locale } from "../hosted/i18n";
import { mailMessages } from "./i18n";
import { sendMail, type MailBindings } from "./send";

/**
 * Mails a person the PIN an admin gave them (issue 15): the one time the PIN exists outside the person's
 * hands, so it goes only to a proven address. No link: a PIN is typed at a printer.
 */
export async function mailPin(env: MailBindings, tenant: Tenant, message: { locale: Locale; to: string; pin: string }): Promise<void> {
  const words = mailMessages(message.locale).pin;
  const lead = words.lead(tenant.displayName);
  const html = (
    <html lang={message.locale}>
      <body style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 36rem; margin: 0 auto; padding: 1rem;">
        <p>{lead}</p>
        <p style="font-size: 1.5rem; letter-spacing: 0.2em;">{message.pin}</p>
        <p style="color: #555;">{words.keep}</p>
      </body>
    </html>
  );
  await sendMail(env, {
    to: message.to,
    tenantName: tenant.displayName,
    subject: words.subject(tenant.displayName),
    text: [lead, message.pin, words.keep].join("\n\n"),
    html: `<!doctype html>${await html.toString()}`,
  });
}
