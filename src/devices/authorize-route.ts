import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { OAuthError } from "../http/oauth-error";
import { jsonResponse } from "../http/openapi";
import { defineRoute } from "../http/route";
import { callingClient } from "../tokens/client-auth";
import { supportedScopes } from "../tokens/clients";
import { issuerOf } from "../tokens/jwt";
import { clientParameters, oauthBody, OAuthErrorSchema } from "../tokens/routes";
import { startAuthorization } from "./authorizations";

const DeviceAuthorizationRequest = v.pipe(
  v.object({ ...clientParameters, scope: v.optional(v.pipe(v.string(), v.maxLength(100))) }),
  v.metadata({ ref: "DeviceAuthorizationRequest" }),
);

const DeviceAuthorizationResponse = v.pipe(
  v.object({
    device_code: v.string(),
    user_code: v.pipe(v.string(), v.metadata({ example: "WDJB-MJHT" })),
    verification_uri: v.string(),
    verification_uri_complete: v.pipe(v.string(), v.description("The QR code's content: the page with the user code filled in")),
    expires_in: v.pipe(v.number(), v.integer()),
    interval: v.pipe(v.number(), v.integer()),
  }),
  v.description("RFC 8628 §3.2"),
  v.metadata({ ref: "DeviceAuthorizationResponse" }),
);

/**
 * RFC 8628 §3.1–3.2: a device client of the tenant, authenticated, asks for codes; the person approves
 * the user code from the app (or the page at verification_uri) while the device polls /token.
 */
export const deviceAuthorization = defineRoute(
  describeRoute({
    tags: ["Devices"],
    summary: "Device authorization (RFC 8628): a device client asks for a device code and a user code",
    description:
      "The device authenticates as at the token endpoint (its id as client_id, its secret by HTTP Basic or client_secret, " +
      "or a client assertion it signs with a registered key: private_key_jwt). " +
      "`scope` defaults to openid. `expires_in` is the tenant's `deviceCodeSeconds`.",
    responses: {
      200: jsonResponse("The codes, and where the person approves", DeviceAuthorizationResponse),
      400: jsonResponse("invalid_request (also for an unknown or disabled tenant), invalid_scope, unauthorized_client", OAuthErrorSchema),
      401: jsonResponse("invalid_client (unknown, revoked or wrong secret), with WWW-Authenticate: Basic", OAuthErrorSchema),
    },
  }),
  oauthBody(DeviceAuthorizationRequest),
  async (c) => {
    const request = c.req.valid("json");
    const calling = await callingClient(c, request);
    if (!calling) throw new OAuthError("invalid_request", "Missing client_id");
    if (!calling.device) throw new OAuthError("unauthorized_client", "Only a device client may use the device authorization grant");
    const scope = request.scope ?? "openid";
    if (!scope.split(" ").every((token) => (supportedScopes as readonly string[]).includes(token))) {
      throw new OAuthError("invalid_scope", `Space-separated, among: ${supportedScopes.join(", ")}`);
    }
    const { db, config, tenant } = c.var;
    const started = await startAuthorization(db, tenant, calling.device.id, scope);
    const verificationUri = `${issuerOf(config, tenant)}/device`;
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        device_code: started.deviceCode,
        user_code: started.userCode,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?${new URLSearchParams({ user_code: started.userCode })}`,
        expires_in: started.expiresIn,
        interval: started.interval,
      },
      200,
    );
  },
);
