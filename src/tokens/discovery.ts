import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { jsonResponse, problems } from "../http/openapi";
import { DEVICE_CODE_GRANT } from "../devices/device-grant";
import { assertionAlgs } from "../devices/device-keys";
import { defineRoute } from "../http/route";
import { grantTypes, supportedScopes } from "./clients";
import { issuerOf } from "./jwt";
import { idTokenAlgs } from "./keys";

/** How a client may authenticate at /token and /revoke (client-auth.ts); private_key_jwt is a device's with keys. */
const clientAuthMethods = ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"];

/** OpenID Provider metadata (OpenID Connect Discovery §3), each member true of what the issuer serves. */
function providerMetadata(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    revocation_endpoint: `${issuer}/revoke`,
    device_authorization_endpoint: `${issuer}/device/authorize`,
    end_session_endpoint: `${issuer}/logout`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    scopes_supported: [...supportedScopes],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: [...grantTypes, DEVICE_CODE_GRANT],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [...idTokenAlgs],
    token_endpoint_auth_methods_supported: clientAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: [...assertionAlgs],
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_signing_alg_values_supported: [...assertionAlgs],
    code_challenge_methods_supported: ["S256"],
    prompt_values_supported: ["none", "login", "consent", "select_account", "create"],
    ui_locales_supported: ["en", "fr"],
    claims_supported: [
      "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid",
      "preferred_username", "name", "given_name", "family_name", "email", "email_verified",
    ],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    authorization_response_iss_parameter_supported: true,
  };
}

export const discovery = defineRoute(
  describeRoute({
    tags: ["Tokens"],
    summary: "OpenID Connect discovery for the issuer <origin>/t/{tenant}",
    responses: {
      200: jsonResponse("OpenID Provider metadata", v.record(v.string(), v.unknown())),
      ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
    },
  }),
  (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(providerMetadata(issuerOf(c.var.config, c.var.tenant)), 200);
  },
);

const Jwks = v.pipe(
  v.object({ keys: v.array(v.record(v.string(), v.unknown())) }),
  v.description("Public signing keys, each with its kid, alg and use"),
  v.metadata({ ref: "JWKS" }),
);

export const jwks = defineRoute(
  describeRoute({
    tags: ["Tokens"],
    summary: "The region's public signing keys (the issuer's jwks_uri)",
    responses: {
      200: jsonResponse("JWK set", Jwks),
      ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
    },
  }),
  async (c) => {
    const keys = await c.var.config.signingKeys();
    c.header("Cache-Control", "public, max-age=300");
    return c.json(keys.jwks, 200);
  },
);
