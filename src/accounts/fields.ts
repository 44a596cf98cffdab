import * as v from "valibot";

/** Letters, digits, `.`, `_` and `-`, starting with a letter or digit; unique per tenant in any case. */
export const Username = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(3, "At least 3 characters"),
  v.maxLength(64, "At most 64 characters"),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Letters, digits, '.', '_' and '-', starting with a letter or digit"),
);

export const Email = v.pipe(v.string(), v.trim(), v.maxLength(254, "At most 254 characters"), v.email("Not an e-mail address"));

export const PersonName = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100, "At most 100 characters"));
