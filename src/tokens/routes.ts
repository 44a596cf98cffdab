import { createRoute, z, type Hook, type RouteHandler } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { findUserById } from "../accounts/queries";
import { scopeOf, type AppEnv, type Scope } from "../http/context";
import { AppError, describe } from "../http/errors";
import { OAuthError } from "../http/oauth-error";
import { jsonResponse } from "../http/openapi";
import { TenantPath } from "../tenants/slug";
import { tenantRoute } from "../tenants/middleware";
import type { Tenant } from "../db/schema";
import { registeredClient } from "./clients";
import { redeemAuthorizationCode } from "./codes";
import { renewSession, startSession, type TokenResponse } from "./issue";
import { issuerOf, verifyAccessToken } from "./jwt";
import { signingKeys } from "./keys";
import { revokeSession, sessionOfRefreshToken } from "./sessions";
import { TokenResponseSchema } from "./token-response";

const OAuthErrorSchema = z
  .object({ error: z.string(), error_description: z.string() })
  .openapi("OAuthError", { description: "RFC 6749 §5.2" });

/**
 * OAuth endpoints take form bodies (RFC 6749 / RFC 7009), and JSON too. Not `required`: each validator
 * then runs only for its own content type (zod-openapi's media-type gate refuses any other with 415).
 */
function formOrJson<T extends z.ZodType>(schema: T) {
  return {
    required: false,
    content: { "application/x-www-form-urlencoded": { schema }, "application/json": { schema } },
  } as const;
}

/** Whichever of the two bodies the client sent, as its validator checked it; no body is invalid_request. */
function oauthBody<T>(c: { req: { valid(target: "form" | "json"): unknown; header(name: string): string | undefined } }): T {
  const type = c.req.header("Content-Type") ?? "";
  if (/^application\/json/i.test(type)) return c.req.valid("json") as T;
  if (/^application\/x-www-form-urlencoded/i.test(type)) return c.req.valid("form") as T;
  throw new OAuthError("invalid_request", "Send the parameters form-encoded (or as JSON)");
}

/** RFC 6749: a malformed token or revocation request is `invalid_request`, not a problem document. */
// `any`: one hook serves both OAuth routes, whatever their input types.
export const rejectAsInvalidRequest: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new OAuthError("invalid_request", issue ? `${issue.path.join(".") || "The request"}: ${issue.message}.` : "The request is malformed.");
  }
};

/**
 * Marks a request as one of the OAuth endpoints', so that every error it meets (a body that cannot be
 * parsed, too large or of another type, an unknown tenant, the database down) leaves in RFC 6749's shape.
 */
export const speaksOAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("errorShape", "oauth");
  await next();
};

const TokenRequest = z
  .object({
    grant_type: z.string().max(100),
    client_id: z.string().min(1).max(200),
    refresh_token: z.string().max(200).optional(),
    code: z.string().max(200).optional(),
    redirect_uri: z.string().max(2000).optional(),
    code_verifier: z.string().max(200).optional(),
  })
  .openapi("TokenRequest");
type TokenRequest = z.infer<typeof TokenRequest>;

export const tokenRoute = createRoute({
  method: "post",
  path: "/t/{tenant}/token",
  tags: ["Tokens"],
  summary: "Token endpoint: refresh_token and authorization_code (PKCE S256) grants",
  middleware: [tenantRoute()],
  request: { params: TenantPath, body: formOrJson(TokenRequest) },
  responses: {
    200: jsonResponse("New tokens", TokenResponseSchema),
    400: jsonResponse(
      "invalid_request (also for an unknown or disabled tenant, or a malformed one), invalid_grant, unsupported_grant_type",
      OAuthErrorSchema,
    ),
    401: jsonResponse("invalid_client", OAuthErrorSchema),
  },
});

export const token: RouteHandler<typeof tokenRoute, AppEnv> = async (c) => {
  const request = oauthBody<TokenRequest>(c);
  if (!registeredClient(c.var.config, request.client_id)) {
    throw new OAuthError("invalid_client", "Unknown client");
  }
  const scope = scopeOf(c);
  const tokens =
    request.grant_type === "refresh_token"
      ? await refreshGrant(scope, c.var.tenant, request)
      : request.grant_type === "authorization_code"
        ? await authorizationCodeGrant(scope, c.var.tenant, request)
        : undefined;
  if (!tokens) throw new OAuthError("unsupported_grant_type", "Use refresh_token or authorization_code");
  c.header("Cache-Control", "no-store");
  return c.json(tokens, 200);
};

function required(request: TokenRequest, ...fields: (keyof TokenRequest)[]): void {
  const missing = fields.filter((field) => !request[field]);
  if (missing.length > 0) throw new OAuthError("invalid_request", `Missing ${missing.join(", ")}`);
}

function refreshGrant(scope: Scope, tenant: Tenant, request: TokenRequest): Promise<TokenResponse> {
  required(request, "refresh_token");
  return renewSession(scope, { tenant, clientId: request.client_id, refreshToken: request.refresh_token! });
}

async function authorizationCodeGrant(scope: Scope, tenant: Tenant, request: TokenRequest): Promise<TokenResponse> {
  required(request, "code", "redirect_uri", "code_verifier");
  const redemption = await redeemAuthorizationCode(scope.db, {
    code: request.code!,
    tenantId: tenant.id,
    clientId: request.client_id,
    redirectUri: request.redirect_uri!,
    codeVerifier: request.code_verifier!,
  });
  if (!redemption.redeemed) {
    throw new OAuthError("invalid_grant", "The code is not valid, expired, used, or not for this client and verifier");
  }
  const { grant } = redemption;
  const user = await findUserById(scope.db, tenant.id, grant.userId);
  if (!user) throw new OAuthError("invalid_grant", "The code's user no longer exists");
  try {
    return await startSession(scope, { ...grant, tenant, user, sessionId: redemption.sessionId });
  } catch (error) {
    // Rule P refused the user since the code was issued (deactivated meanwhile): no tokens.
    if (error instanceof AppError) throw new OAuthError("invalid_grant", describe(error));
    throw error;
  }
}

const RevokeRequest = z
  .object({ token: z.string().max(4096), token_type_hint: z.string().max(100).optional(), client_id: z.string().optional() })
  .openapi("RevokeRequest");

export const revokeRoute = createRoute({
  method: "post",
  path: "/t/{tenant}/revoke",
  tags: ["Tokens"],
  summary: "Revoke a refresh or access token, ending its session (RFC 7009)",
  middleware: [tenantRoute()],
  request: { params: TenantPath, body: formOrJson(RevokeRequest) },
  responses: {
    200: { description: "Revoked, or nothing to revoke: the answer does not tell which" },
    400: jsonResponse("invalid_request (also for an unknown or disabled tenant, or a malformed one)", OAuthErrorSchema),
  },
});

/** RFC 7009: always 200, so that the answer reveals nothing about the token. Ends the token's session. */
export const revoke: RouteHandler<typeof revokeRoute, AppEnv> = async (c) => {
  const { token: presented } = oauthBody<z.infer<typeof RevokeRequest>>(c);
  const { db, config, tenant } = c.var;
  const refresh = await sessionOfRefreshToken(db, presented, tenant.id);
  const access = refresh
    ? undefined
    : await verifyAccessToken(await signingKeys(c.env.SIGNING_KEYS), presented, {
        issuer: issuerOf(config, tenant),
        audiences: [...config.clients.keys()],
      });
  const sessionId = refresh?.sessionId ?? (access?.tid === tenant.id ? access.sid : undefined);
  if (sessionId) await revokeSession(db, sessionId);
  return c.body(null, 200);
};
