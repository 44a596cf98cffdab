import * as v from "valibot";

/** Letters, digits, `.`, `_` and `-`, starting with a letter or digit; unique per tenant in any case. */
export const Username = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(3, "At least 3 characters"),
  v.maxLength(64, "At most 64 characters"),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Letters, digits, '.', '_' and '-', starting with a letter or digit"),
);

/**
 * The address rule zod's `email()` applied before (kept so that no address accepted then is refused now):
 * valibot's `email()` refuses an apostrophe (o'brien@…) and punycode domains (xn--…).
 */
const EMAIL_PATTERN = /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;

export const Email = v.pipe(v.string(), v.trim(), v.maxLength(254, "At most 254 characters"), v.regex(EMAIL_PATTERN, "Not an e-mail address"));

export const PersonName = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100, "At most 100 characters"));
