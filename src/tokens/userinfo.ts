import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { admitBearer } from "../policy/require-user";
import { scopedClaims } from "./claims";

const UserInfo = v.pipe(
  v.object({
    sub: v.string(),
    preferred_username: v.optional(v.string()),
    name: v.optional(v.string()),
    given_name: v.optional(v.string()),
    family_name: v.optional(v.string()),
    email: v.optional(v.string()),
    email_verified: v.optional(v.boolean()),
  }),
  v.description("The claims of the access token's scopes (OpenID Connect Core §5.3.2, §5.4)"),
  v.metadata({ ref: "UserInfo" }),
);

/**
 * OpenID Connect Core §5.3, the UserInfo endpoint, on GET and POST: the bearer access token in the
 * `Authorization` header, or (POST) as `access_token` in a form body; rule P checked as for /me. It
 * answers `sub` and what the token's scopes say about the person: the same claims as the ID token
 * (tokens/claims.ts). A token not granted `openid` is not one of OpenID Connect: 403 insufficient_scope.
 */
export const userinfo = defineRoute(
  describeRoute({
    tags: ["Tokens"],
    summary: "OpenID Connect UserInfo: the claims of the access token's scopes",
    description:
      "The access token in the Authorization header (Bearer), or, on POST, as the access_token parameter of an " +
      "application/x-www-form-urlencoded body (RFC 6750 §2.2), never both; never in the query.",
    security: [{ bearer: [] }],
    responses: {
      200: jsonResponse("The signed-in user's claims", UserInfo),
      ...problems("validation_failed", "unauthorized", "forbidden", "account_inactive", "tenant_not_found", "tenant_disabled"),
    },
  }),
  async (c) => {
    const { principal, scope } = await admitBearer(c, { formBody: true });
    if (!scope.split(" ").includes("openid")) {
      throw new AppError("forbidden", {
        detail: "The access token was not granted the openid scope",
        headers: { "WWW-Authenticate": 'Bearer realm="printid", error="insufficient_scope", scope="openid"' },
      });
    }
    c.header("Cache-Control", "no-store");
    return c.json({ sub: principal.user.id, ...scopedClaims(principal.user, scope) }, 200);
  },
);
