import { en, type Catalogue } from "./en";
import { fr } from "./fr";

export type { Catalogue };

/** The languages of the hosted pages (discovery's `ui_locales_supported`); the first is the default. */
export const LOCALES = ["en", "fr"] as const;
export type Locale = (typeof LOCALES)[number];

/** The codes of a sign-in or registration refusal that the pages can put in words. */
export type RefusalCode = keyof Catalogue["refusals"];
/** The pages shown instead of a sign-in (the client cannot be trusted, the tenant is gone...). */
export type ErrorPageCode = keyof Catalogue["errorPages"];

const catalogues: Record<Locale, Catalogue> = { en, fr };

export function messages(locale: Locale): Catalogue {
  return catalogues[locale];
}

/** A language tag as BCP 47 shapes it (RFC 5646: subtags of 1 to 8 letters or digits; `fr_CA` too, as some clients send it). */
const TAG = /^[a-z]{1,8}(?:[-_][a-z0-9]{1,8})*$/i;

/** A header holds at most this many tags worth reading: a longer list costs work and changes nothing. */
const MAX_TAGS = 32;

/** RFC 4647 lookup: a tag matches the locale of its primary language (`fr-CA` is French). */
function supported(tag: string): Locale | undefined {
  if (!TAG.test(tag)) return undefined;
  const primary = tag.toLowerCase().split(/[-_]/)[0];
  return LOCALES.find((locale) => locale === primary);
}

/** An Accept-Language (RFC 9110 §12.5.4) as tags, most preferred first; q=0 means "not this one". */
function acceptedTags(header: string): string[] {
  const weighted = header
    .split(",", MAX_TAGS)
    .map((part) => {
      const [tag = "", ...params] = part.split(";").map((piece) => piece.trim());
      const q = params.find((param) => /^q=/i.test(param));
      const weight = q === undefined ? 1 : /^q=(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i.test(q) ? Number(q.slice(2)) : 0;
      return { tag, weight };
    })
    .filter(({ weight }) => weight > 0);
  // Array sort is stable: tags of equal weight keep the header's order.
  return weighted.sort((a, b) => b.weight - a.weight).map(({ tag }) => tag);
}

/**
 * The language of the pages: the first supported tag of `ui_locales` (OIDC Core §3.1.2.1, space-separated
 * BCP 47 tags in order of preference), else of Accept-Language by weight, else English. Anything
 * malformed is skipped, never an error.
 */
export function localeFor(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  const requested = (uiLocales ?? "").split(/\s+/, MAX_TAGS).filter(Boolean);
  for (const tag of [...requested, ...acceptedTags(acceptLanguage ?? "")]) {
    const locale = supported(tag);
    if (locale) return locale;
  }
  return LOCALES[0];
}
