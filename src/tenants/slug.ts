import * as v from "valibot";

/** A tenant name: 3–63 of `a-z`, `0-9`, `-`, not starting or ending with `-`; case-insensitive. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;

export const TenantSlug = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.regex(SLUG_PATTERN, "3–63 characters of a-z, 0-9 and -, not starting or ending with -"),
  v.metadata({ example: "acme" }),
);
