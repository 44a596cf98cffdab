import type { Tenant } from "../db/schema";
import type { Locale } from "../hosted/i18n";
import { mailMessages } from "./i18n";
import { sendMail, type MailBindings } from "./send";

/**
 * Mails a person a short code to type, the one time it is shown: the PIN an admin gave them (issue 15),
 * or a code for a sign-in's second step (issue 16). It goes only to a proven address, and carries no link:
 * a PIN is typed at a printer, a sign-in code where the sign-in waits.
 */
export async function mailCode(
  env: MailBindings,
  tenant: Tenant,
  message: { kind: "pin" | "signInCode"; locale: Locale; to: string; code: string },
): Promise<void> {
  const words = mailMessages(message.locale)[message.kind];
  const lead = words.lead(tenant.displayName);
  const html = (
    <html lang={message.locale}>
      <body style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 36rem; margin: 0 auto; padding: 1rem;">
        <p>{lead}</p>
        <p style="font-size: 1.5rem; letter-spacing: 0.2em;">{message.code}</p>
        <p style="color: #555;">{words.keep}</p>
      </body>
    </html>
  );
  await sendMail(env, {
    to: message.to,
    tenantName: tenant.displayName,
    subject: words.subject(tenant.displayName),
    text: [lead, message.code, words.keep].join("\n\n"),
    html: `<!doctype html>${await html.toString()}`,
  });
}
