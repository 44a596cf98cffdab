import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context";
import { requireUser } from "../policy/require-user";

/**
 * Admin answers hold people's names, e-mails and IP addresses: no cache, the browser's or a proxy's, may
 * keep one, whether it lists users or refuses the request. Set once the answer is made, so it covers
 * every handler's answer and every error the API's error handler turned into one.
 */
const noStore: MiddlewareHandler<AppEnv> = async function noStore(c, next) {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
};

/**
 * The route config every `/t/{tenant}/admin/*` route spreads into `createRoute`: a bearer token of an
 * admin of the tenant (role checked per request, rule P), and answers that are never stored.
 */
export const adminOnly = { security: [{ bearer: [] }], middleware: [noStore, requireUser({ role: "admin" })] };
