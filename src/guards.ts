/**
 * The guards `app.ts` mounts before each route, each with what it adds to /openapi.json (the credential
 * it asks for; the refusals stay with each route, which knows its error shape). A guard is a tuple
 * spread into the route's line, so that the route table says who may call what.
 */
import type { MiddlewareHandler } from "hono";
import { describeRoute } from "hono-openapi";
import type { AppEnv } from "./http/context";
import { rateLimit, rateLimits, type RateLimitName } from "./http/rate-limit";
import { requireOperator } from "./operator/auth";
import { requireUser } from "./policy/require-user";
import { tenantRoute } from "./tenants/middleware";

/**
 * Admin answers hold people's names, e-mails and IP addresses: no cache, the browser's or a proxy's, may
 * keep one, whether it lists users or refuses the request. Set once the answer is made, so it covers
 * every handler's answer and every error the API's error handler turned into one.
 */
const noStore: MiddlewareHandler<AppEnv> = async function noStore(c, next) {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
};

const bearer = [{ bearer: [] }];

/** Anyone may call: the `{tenant}` of the path is resolved (one D1 read) and must be enabled. */
export const publicTenant = [tenantRoute()] as const;

/** A signed-in user of the tenant: rule P, with the tenant, in one D1 read. */
export const signedIn = [
  describeRoute({ security: bearer }),
  requireUser(),
] as const;

/** A signed-in admin of the tenant (the role checked per request, rule P); answers are never stored. */
export const tenantAdmin = [
  describeRoute({ security: bearer }),
  noStore,
  requireUser({ role: "admin" }),
] as const;

/** The platform operator: the region's `OPERATOR_TOKEN`. */
export const operator = [
  describeRoute({ security: [{ operatorToken: [] }] }),
  requireOperator(),
] as const;

/**
 * Rule H: a limit per client address and tenant, before anything is read or resolved. The operation
 * says which limit applies (`x-rate-limit`); openapi-document.ts adds its 429 in the route's error shape.
 */
function limited(name: RateLimitName) {
  return [describeRoute({ "x-rate-limit": name } as Parameters<typeof describeRoute>[0]), rateLimit(name)] as const;
}

export const limits = {
  credentials: limited(rateLimits.credentials),
  oauth: limited(rateLimits.oauth),
  mail: limited(rateLimits.mail),
};
