import type { MiddlewareHandler } from "hono";
import { secretsEqual } from "../crypto/constant-time";
import { bearerToken } from "../http/bearer";
import type { AppEnv } from "../http/context";
import { AppError } from "../http/errors";

/** Guards the platform operator API with the `OPERATOR_TOKEN` secret; closed when the secret is unset. */
export function requireOperator(): MiddlewareHandler<AppEnv> {
  return async function requireOperator(c, next) {
    const expected = c.env.OPERATOR_TOKEN;
    const presented = bearerToken(c.req.header("Authorization"));
    if (!expected || !presented || !(await secretsEqual(presented, expected))) {
      throw new AppError("unauthorized", {
        detail: "The operator token is missing or wrong",
        headers: { "WWW-Authenticate": 'Bearer realm="printid-operator"' },
      });
    }
    await next();
  };
}
