import type { Locale } from "../../hosted/i18n";
import { en, type MailCatalogue } from "./en";
import { fr } from "./fr";

export type { MailCatalogue };

/** The kinds of message printid sends: each a proof of one purpose (account_tokens). */
export type MailKind = "verifyEmail" | "resetPassword" | "invitation";

/** The languages of the hosted pages are those of the messages: a person reads both in one. */
const catalogues: Record<Locale, MailCatalogue> = { en, fr };

export function mailMessages(locale: Locale): MailCatalogue {
  return catalogues[locale];
}
