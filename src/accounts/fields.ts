import { z } from "@hono/zod-openapi";

/** Letters, digits, `.`, `_` and `-`, starting with a letter or digit; unique per tenant in any case. */
export const Username = z
  .string()
  .trim()
  .min(3, "At least 3 characters")
  .max(64, "At most 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Letters, digits, '.', '_' and '-', starting with a letter or digit");

export const Email = z.string().trim().max(254, "At most 254 characters").pipe(z.email("Not an e-mail address"));

export const PersonName = z.string().trim().min(1).max(100, "At most 100 characters");
