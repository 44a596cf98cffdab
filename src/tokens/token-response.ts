import * as v from "valibot";

/** RFC 6749 §5.1, plus `id_token` for the `openid` scope. */
export const TokenResponseSchema = v.pipe(
  v.object({
    access_token: v.string(),
    token_type: v.literal("Bearer"),
    expires_in: v.pipe(v.number(), v.integer()),
    refresh_token: v.string(),
    scope: v.string(),
    id_token: v.optional(v.string()),
  }),
  v.metadata({ ref: "TokenResponse" }),
);
