import { z } from "@hono/zod-openapi";

/** RFC 6749 §5.1, plus `id_token` for the `openid` scope. */
export const TokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    refresh_token: z.string(),
    scope: z.string(),
    id_token: z.string().optional(),
  })
  .openapi("TokenResponse");
