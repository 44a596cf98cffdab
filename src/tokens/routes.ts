import type { Context, MiddlewareHandler } from "hono";
import { describeRoute, resolver } from "hono-openapi";
import * as v from "valibot";
import { findUserById } from "../accounts/queries";
import { DEVICE_CODE_GRANT, deviceCodeGrant } from "../devices/device-grant";
import type { Tenant } from "../db/schema";
import { scopeOf, type AppEnv, type Scope } from "../http/context";
import { AppError, describe } from "../http/errors";
import { OAuthError } from "../http/oauth-error";
import { jsonResponse } from "../http/openapi";
import { defineRoute } from "../http/route";
import { documentedAs, fieldErrors, FORM_TYPES, isJson, mediaTypeOf } from "../http/validation";
import { callingClient, type CallingClient } from "./client-auth";
import { grantTypes, type GrantType } from "./clients";
import { redeemAuthorizationCode } from "./codes";
import { isSecondStep } from "../factors/challenges";
import { renewSession, startSession, type TokenResponse } from "./issue";
import { issuerOf, verifyAccessToken } from "./jwt";
import { revocableBy, revokeSession, sessionOfRefreshToken } from "./sessions";
import { TokenResponseSchema } from "./token-response";

export const OAuthErrorSchema = v.pipe(
  v.object({ error: v.string(), error_description: v.string() }),
  v.description("RFC 6749 §5.2"),
  v.metadata({ ref: "OAuthError" }),
);

/** What to send instead, for a request the endpoint cannot read. */
const SEND_PARAMETERS = "Send the parameters form-encoded (or as JSON)";

/**
 * The request's parameters as sent: a JSON body, or a form in which a parameter sent twice is a list of
 * its values, which the schema then refuses (RFC 6749 §3.2: "MUST NOT be included more than once"), so
 * that no value is picked for the client. No body at all is a request without its parameters (400); a
 * body of another type is refused unread (415).
 */
async function parametersOf(c: Context<AppEnv>): Promise<unknown> {
  if (isJson(c)) {
    return c.req.json().catch(() => {
      throw new OAuthError("invalid_request", "The request could not be read: malformed JSON");
    });
  }
  if (FORM_TYPES.includes(mediaTypeOf(c))) {
    return c.req.parseBody({ all: true }).catch(() => {
      throw new OAuthError("invalid_request", "The request could not be read: malformed form data");
    });
  }
  if (!c.req.header("Content-Type") && (await c.req.arrayBuffer()).byteLength === 0) {
    throw new OAuthError("invalid_request", SEND_PARAMETERS);
  }
  throw new AppError("unsupported_media_type", { detail: SEND_PARAMETERS });
}

/**
 * An OAuth endpoint's body (RFC 6749 / RFC 7009 take forms; JSON too), checked by `schema`, for the
 * handler's `c.req.valid("json")`. A malformed request is `invalid_request` naming its first fault, not
 * a problem document: OAuth client libraries read RFC 6749's shape.
 */
export function oauthBody<S extends v.GenericSchema<unknown, object>>(schema: S) {
  const read: MiddlewareHandler<AppEnv, string, { out: { json: v.InferOutput<S> } }> = async (c, next) => {
    const result = v.safeParse(schema, await parametersOf(c));
    if (!result.success) {
      const [fault] = fieldErrors(result.issues);
      throw new OAuthError("invalid_request", `${fault!.path || "The request"}: ${fault!.message}.`);
    }
    c.req.addValidatedData("json", result.output);
    await next();
  };
  const documented = describeRoute({
    requestBody: {
      required: true,
      content: {
        "application/x-www-form-urlencoded": { schema: resolver(schema) },
        "application/json": { schema: resolver(schema) },
      },
    },
  });
  return documentedAs(read, documented);
}

/**
 * Marks a request as one of the OAuth endpoints', so that every error it meets (a body that cannot be
 * parsed, too large or of another type, an unknown tenant, the database down) leaves in RFC 6749's shape.
 */
export const speaksOAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("errorShape", "oauth");
  await next();
};

/**
 * The client parameters of /token, /revoke and /device/authorize: `none` names the client;
 * client_secret_post adds its secret; private_key_jwt sends a client assertion and its type instead
 * (RFC 7521 §4.2, RFC 7523 §2.2).
 */
export const clientParameters = {
  client_id: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
  client_secret: v.optional(v.pipe(v.string(), v.maxLength(200))),
  client_assertion_type: v.optional(v.pipe(v.string(), v.maxLength(200))),
  client_assertion: v.optional(v.pipe(v.string(), v.maxLength(4096))),
};

const TokenRequest = v.pipe(
  v.object({
    grant_type: v.pipe(v.string(), v.maxLength(100)),
    ...clientParameters,
    refresh_token: v.optional(v.pipe(v.string(), v.maxLength(200))),
    code: v.optional(v.pipe(v.string(), v.maxLength(200))),
    redirect_uri: v.optional(v.pipe(v.string(), v.maxLength(2000))),
    code_verifier: v.optional(v.pipe(v.string(), v.maxLength(200))),
    /** RFC 8628 §3.4: the device grant's code. */
    device_code: v.optional(v.pipe(v.string(), v.maxLength(200))),
    /** RFC 6749 §6: a refresh may ask for less than the session holds, never more. */
    scope: v.optional(v.pipe(v.string(), v.maxLength(100))),
  }),
  v.metadata({ ref: "TokenRequest" }),
);
type TokenRequest = v.InferOutput<typeof TokenRequest>;

const isGrantType = (value: string): value is GrantType => (grantTypes as readonly string[]).includes(value);

export const token = defineRoute(
  describeRoute({
    tags: ["Tokens"],
    summary:
      "Token endpoint: authorization_code (PKCE S256, or a confidential client's secret), refresh_token and device_code (RFC 8628) grants",
    description:
      "Clients authenticate as RFC 6749 §2.3 says: a confidential client with its secret, by HTTP Basic (client_secret_basic) " +
      "or client_secret in the body (client_secret_post); a public client names itself with client_id (none). A device client " +
      "(registered by the tenant's admins) authenticates with its id and secret, or with a client assertion it signs " +
      "(private_key_jwt: client_assertion_type and client_assertion, RFC 7523), and polls with " +
      "`grant_type=urn:ietf:params:oauth:grant-type:device_code`: authorization_pending, slow_down, access_denied, expired_token " +
      "(RFC 8628 §3.5), then its tokens once.",
    responses: {
      200: jsonResponse("New tokens", TokenResponseSchema),
      400: jsonResponse(
        "invalid_request (also for an unknown or disabled tenant, or a malformed one), invalid_grant, invalid_scope, unauthorized_client, " +
          "unsupported_grant_type; for the device grant authorization_pending, slow_down, access_denied, expired_token",
        OAuthErrorSchema,
      ),
      401: jsonResponse("invalid_client, with WWW-Authenticate: Basic", OAuthErrorSchema),
    },
  }),
  oauthBody(TokenRequest),
  async (c) => {
    const request = c.req.valid("json");
    const calling = await callingClient(c, request);
    if (!calling) throw new OAuthError("invalid_request", "Missing client_id");
    const { grant_type: grantType } = request;
    const scope = scopeOf(c);
    let tokens: TokenResponse;
    if (grantType === DEVICE_CODE_GRANT) {
      // Only a device client holds device codes (RFC 8628 §3.4).
      if (!calling.device) throw new OAuthError("unauthorized_client", "Only a device client may use the device_code grant");
      required(request, "device_code");
      tokens = await deviceCodeGrant(scope, c.var.tenant, calling.device, request.device_code!);
    } else {
      if (!isGrantType(grantType)) throw new OAuthError("unsupported_grant_type", "Use authorization_code, refresh_token or device_code");
      if (!calling.client.grantTypes.includes(grantType)) {
        throw new OAuthError("unauthorized_client", `This client may not use the ${grantType} grant`);
      }
      tokens =
        grantType === "refresh_token"
          ? await refreshGrant(scope, c.var.tenant, calling, request)
          : await authorizationCodeGrant(scope, c.var.tenant, calling, request);
    }
    c.header("Cache-Control", "no-store");
    // A client that may not refresh gets no refresh token to hold (RFC 6749 §5.1: it is optional); JSON
    // leaves a member that is undefined out.
    const mayRefresh = calling.client.grantTypes.includes("refresh_token");
    return c.json(mayRefresh ? tokens : { ...tokens, refresh_token: undefined }, 200);
  },
);

function required(request: TokenRequest, ...fields: (keyof TokenRequest)[]): void {
  const missing = fields.filter((field) => !request[field]);
  if (missing.length > 0) throw new OAuthError("invalid_request", `Missing ${missing.join(", ")}`);
}

function refreshGrant(scope: Scope, tenant: Tenant, calling: CallingClient, request: TokenRequest): Promise<TokenResponse> {
  required(request, "refresh_token");
  return renewSession(scope, { tenant, clientId: calling.client.id, refreshToken: request.refresh_token!, scope: request.scope });
}

async function authorizationCodeGrant(scope: Scope, tenant: Tenant, calling: CallingClient, request: TokenRequest): Promise<TokenResponse> {
  // A public client proves itself with PKCE alone: no verifier, no redemption (and the code is not spent).
  required(request, "code", "redirect_uri", ...(calling.authenticated ? [] : (["code_verifier"] as const)));
  const redemption = await redeemAuthorizationCode(scope.db, {
    code: request.code!,
    tenantId: tenant.id,
    clientId: calling.client.id,
    redirectUri: request.redirect_uri!,
    codeVerifier: request.code_verifier,
    clientAuthenticated: calling.authenticated,
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
    // Rule M: the code's person owes a second factor it did not carry (a provider's sign-in for the app):
    // `mfa_required` with its token, as Auth0's token endpoint answers it (http/oauth-error.ts).
    if (isSecondStep(error)) throw error;
    // Rule P refused the user since the code was issued (deactivated meanwhile): no tokens.
    if (error instanceof AppError) throw new OAuthError("invalid_grant", describe(error));
    throw error;
  }
}

const RevokeRequest = v.pipe(
  v.object({
    token: v.pipe(v.string(), v.maxLength(4096)),
    token_type_hint: v.optional(v.pipe(v.string(), v.maxLength(100))),
    ...clientParameters,
  }),
  v.metadata({ ref: "RevokeRequest" }),
);

/**
 * RFC 7009: always 200, so that the answer reveals nothing about the token. Ends the token's session when
 * the requesting client may (§2.1: a client revokes its own tokens; a confidential client authenticates,
 * and a request that names no client ends only public clients' sessions).
 */
export const revoke = defineRoute(
  describeRoute({
    tags: ["Tokens"],
    summary: "Revoke a refresh or access token, ending its session (RFC 7009)",
    description:
      "A confidential client authenticates as at the token endpoint (client_secret_basic, client_secret_post, or a device's private_key_jwt) and revokes its " +
      "own tokens; a request that names no client ends only a public client's session.",
    responses: {
      200: { description: "Revoked, or nothing to revoke: the answer does not tell which" },
      400: jsonResponse("invalid_request (also for an unknown or disabled tenant, or a malformed one)", OAuthErrorSchema),
      401: jsonResponse("invalid_client, with WWW-Authenticate: Basic", OAuthErrorSchema),
    },
  }),
  oauthBody(RevokeRequest),
  async (c) => {
    const request = c.req.valid("json");
    const calling = await callingClient(c, request);
    const { db, config, tenant } = c.var;
    const keys = await config.signingKeys();
    const refresh = await sessionOfRefreshToken(keys, request.token, tenant.id);
    const access = refresh
      ? undefined
      : await verifyAccessToken(keys, request.token, { issuer: issuerOf(config, tenant) });
    const sessionId = refresh ?? (access?.tid === tenant.id ? access.sid : undefined);
    if (sessionId) await revokeSession(db, sessionId, new Date(), revocableBy(config, calling?.client.id));
    return c.body(null, 200);
  },
);
