import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { supportedScopes } from "./clients";
import { issuerOf } from "./jwt";
import { SIGNING_ALG } from "./keys";

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
    const issuer = issuerOf(c.var.config, c.var.tenant);
    c.header("Cache-Control", "public, max-age=300");
    return c.json(
      {
        issuer,
        token_endpoint: `${issuer}/token`,
        revocation_endpoint: `${issuer}/revoke`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: [SIGNING_ALG],
        token_endpoint_auth_methods_supported: ["none"],
        revocation_endpoint_auth_methods_supported: ["none"],
        code_challenge_methods_supported: ["S256"],
        scopes_supported: [...supportedScopes],
        claims_supported: ["sub", "iss", "aud", "exp", "iat", "sid", "nonce", "preferred_username", "email", "email_verified", "name", "given_name", "family_name"],
      },
      200,
    );
  },
);

const Jwks = v.pipe(
  v.object({ keys: v.array(v.record(v.string(), v.unknown())) }),
  v.description("Public signing keys, each with its kid"),
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
