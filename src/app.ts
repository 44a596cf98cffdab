/**
 * The route table: read top to bottom, it is ../shared/API.md. Each line names a route declared (with its
 * schemas and middleware, hence /openapi.json) in the room that owns its rule. Every `/t/{tenant}` route
 * resolves its tenant through `tenantRoute()` or, when authenticated, `requireUser()`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { me, meRoute, updateMe, updateMeRoute } from "./accounts/me";
import { register, registerRoute } from "./accounts/routes";
import { consoleApp } from "./admin/console";
import { getSettings, getSettingsRoute, patchSettings, patchSettingsRoute } from "./admin/settings";
import { listAttemptsRoute, listSignInAttempts } from "./admin/sign-in-attempts";
import {
  createUserHandler,
  createUserRoute,
  getUserHandler,
  getUserRoute,
  listUsersHandler,
  listUsersRoute,
  patchUserHandler,
  patchUserRoute,
} from "./admin/users";
import { configOf } from "./config";
import { changePassword, changePasswordRoute, signIn, signInRoute } from "./credentials/routes";
import { database } from "./db/client";
import { guardD1 } from "./db/guard";
import type { AppEnv } from "./http/context";
import { health, healthRoute } from "./http/health";
import {
  authorize,
  authorizeRoute,
  callbackGet,
  callbackGetRoute,
  callbackPost,
  callbackPostRoute,
  idToken,
  idTokenRoute,
} from "./federation/routes";
import { limitBody } from "./http/body-limit";
import { handleError, handleNotFound } from "./http/problem";
import { rateLimit, rateLimits, type RateLimitName } from "./http/rate-limit";
import { finishDocument } from "./http/openapi-document";
import { rejectInvalidInput } from "./http/validation";
import { createTenantHandler, createTenantRoute, listTenantsHandler, listTenantsRoute } from "./operator/tenants";
import { tenantCard, tenantCardRoute } from "./tenants/card";
import { discovery, discoveryRoute, jwks, jwksRoute } from "./tokens/discovery";
import { rejectAsInvalidRequest, revoke, revokeRoute, speaksOAuth, token, tokenRoute } from "./tokens/routes";

export { MAX_BODY_BYTES } from "./http/body-limit";

/** Every unauthenticated route that costs work (a hash, a stored flow, a code exchange), and its limit. */
const rateLimitedRoutes: [method: "GET" | "POST", path: string, limit: RateLimitName][] = [
  ["POST", "/t/:tenant/sign-in", rateLimits.credentials],
  ["POST", "/t/:tenant/register", rateLimits.credentials],
  ["POST", "/t/:tenant/me/password", rateLimits.credentials],
  ["POST", "/t/:tenant/oauth/:provider/id-token", rateLimits.credentials],
  ["GET", "/t/:tenant/oauth/:provider/authorize", rateLimits.oauth],
  ["GET", "/oauth/:provider/callback", rateLimits.oauth],
  ["POST", "/oauth/:provider/callback", rateLimits.oauth],
  ["POST", "/t/:tenant/token", rateLimits.oauth],
];

export function buildApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: rejectInvalidInput });

  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use(async function context(c, next) {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    const config = configOf(c.env);
    c.set("config", config);
    c.set("db", database(guardD1(c.env.DB, config.d1BudgetMs)));
    await next();
    c.res.headers.set("X-Request-Id", requestId);
  });
  // The OAuth endpoints answer every error, even a refused body, in RFC 6749's shape.
  app.use("/t/:tenant/token", speaksOAuth);
  app.use("/t/:tenant/revoke", speaksOAuth);
  // Rate limits (rule H), per client address and tenant, before any body is read.
  for (const [method, path, limit] of rateLimitedRoutes) app.on(method, path, rateLimit(limit));
  // The admin console answers people with pages, its refusals included: it is mounted before the API's
  // body limit, and applies its own limit and rate limit inside, so that its onError renders them.
  app.route("/t/:tenant/console", consoleApp);
  app.use(limitBody());

  // Public
  app.openapi(healthRoute, health);
  app.openapi(tenantCardRoute, tenantCard);
  app.openapi(discoveryRoute, discovery);
  app.openapi(jwksRoute, jwks);

  // Sign-in with MyQ credentials
  app.openapi(signInRoute, signIn);

  // Sign-in with Apple, Google or Microsoft
  app.openapi(authorizeRoute, authorize);
  app.openapi(callbackGetRoute, callbackGet);
  app.openapi(callbackPostRoute, callbackPost);
  app.openapi(idTokenRoute, idToken);

  // Registration of a personal MyQ account
  app.openapi(registerRoute, register);

  // Tokens (RFC 6749 error shape)
  app.openapi(tokenRoute, token, rejectAsInvalidRequest);
  app.openapi(revokeRoute, revoke, rejectAsInvalidRequest);

  // The signed-in user
  app.openapi(meRoute, me);
  app.openapi(updateMeRoute, updateMe);
  app.openapi(changePasswordRoute, changePassword);

  // Tenant administration (role admin)
  app.openapi(getSettingsRoute, getSettings);
  app.openapi(patchSettingsRoute, patchSettings);
  app.openapi(listUsersRoute, listUsersHandler);
  app.openapi(createUserRoute, createUserHandler);
  app.openapi(getUserRoute, getUserHandler);
  app.openapi(patchUserRoute, patchUserHandler);
  app.openapi(listAttemptsRoute, listSignInAttempts);

  // Platform operator
  app.openapi(createTenantRoute, createTenantHandler);
  app.openapi(listTenantsRoute, listTenantsHandler);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token of this tenant, from /t/{tenant}/sign-in or /t/{tenant}/token",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", {
    type: "http",
    scheme: "bearer",
    description: "The region's OPERATOR_TOKEN secret",
  });
  const limited = new Set(rateLimitedRoutes.map(([method, path]) => `${method.toLowerCase()} ${path.replace(/:(\w+)/g, "{$1}")}`));
  app.get("/openapi.json", (c) => {
    const { origin, region } = configOf(c.env);
    const document = app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "printid",
        version: "1",
        description: "Sign-in and accounts of the cloud print & scan platform, one region of it.",
      },
      servers: [{ url: origin, description: `Region ${region}` }],
    });
    return c.json(finishDocument(document, limited));
  });
  return app;
}
