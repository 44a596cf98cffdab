import type { Context } from "hono";
import type { Config } from "../config";
import type { Tenant } from "../db/schema";
import { localeFor, type Locale } from "../hosted/i18n";
import type { AppEnv } from "../http/context";
import { loggedError } from "../http/problem";
import { composeMail } from "./compose";
import type { MailKind } from "./i18n";
import { sendMail, type MailBindings } from "./send";

/** Where each kind of message leads: a page of the tenant that takes the token (`?token=`). */
const linkPaths: Record<MailKind, string> = {
  verifyEmail: "account/email/verify",
  resetPassword: "account/password/reset",
  invitation: "account/invitation",
};

export interface Proof {
  kind: MailKind;
  locale: Locale;
  to: string;
  token: string;
  code?: string;
}

/** Mails a proof (a link, and a code beside it for e-mail) in the tenant's name; `503 unavailable` if it cannot. */
export async function mailProof(env: MailBindings, config: Config, tenant: Tenant, proof: Proof): Promise<void> {
  const link = `${config.origin}/t/${tenant.slug}/${linkPaths[proof.kind]}?token=${encodeURIComponent(proof.token)}`;
  const composed = await composeMail({ kind: proof.kind, locale: proof.locale, tenantName: tenant.displayName, link, code: proof.code });
  await sendMail(env, { ...composed, to: proof.to, tenantName: tenant.displayName });
}

/** The language of a message a request causes: its `ui_locales` query parameter, else its Accept-Language. */
export function requestLocale(c: Context): Locale {
  return localeFor(c.req.query("ui_locales"), c.req.header("Accept-Language"));
}

/**
 * Mailing that must not show in the answer (rule L's "answered alike"): whether an account exists would
 * otherwise be read in the time a message takes. The work goes on after the answer; a failure is logged
 * as an error answer would be.
 */
export function mailAfterAnswer(c: Context<AppEnv>, work: () => Promise<void>): void {
  c.executionCtx.waitUntil(work().catch((error: unknown) => void loggedError(c, error)));
}
