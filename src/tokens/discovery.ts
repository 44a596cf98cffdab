import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { jsonResponse, problems } from "../http/openapi";
import { tenantRoute } from "../tenants/middleware";
import { TenantPath } from "../tenants/slug";
import { supportedScopes } from "./clients";
import { issuerOf } from "./jwt";
import { SIGNING_ALG, signingKeys } from "./keys";

export const discoveryRoute = createRoute({
  method: "get",
  path: "/t/{tenant}/.well-known/openid-configuration",
  tags: ["Tokens"],
  summary: "OpenID Connect discovery for the issuer <origin>/t/{tenant}",
  middleware: [tenantRoute()],
  request: { params: TenantPath },
  responses: {
    200: jsonResponse("OpenID Provider metadata", z.record(z.string(), z.unknown())),
    ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
  },
});

export const discovery: RouteHandler<typeof discoveryRoute, AppEnv> = (c) => {
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
};

const Jwks = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .openapi("JWKS", { description: "Public signing keys, each with its kid" });

export const jwksRoute = createRoute({
  method: "get",
  path: "/t/{tenant}/.well-known/jwks.json",
  tags: ["Tokens"],
  summary: "The region's public signing keys (the issuer's jwks_uri)",
  middleware: [tenantRoute()],
  request: { params: TenantPath },
  responses: {
    200: jsonResponse("JWK set", Jwks),
    ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
  },
});

export const jwks: RouteHandler<typeof jwksRoute, AppEnv> = async (c) => {
  const keys = await signingKeys(c.env.SIGNING_KEYS);
  c.header("Cache-Control", "public, max-age=300");
  return c.json(keys.jwks as z.infer<typeof Jwks>, 200);
};
