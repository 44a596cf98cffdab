import { z } from "@hono/zod-openapi";

/** A tenant name: 3–63 of `a-z`, `0-9`, `-`, not starting or ending with `-`; case-insensitive. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;

export const TenantSlug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(SLUG_PATTERN, "3–63 characters of a-z, 0-9 and -, not starting or ending with -")
  .openapi({ example: "acme" });

export const TenantPath = z.object({
  tenant: TenantSlug.openapi({ param: { name: "tenant", in: "path" } }),
});
