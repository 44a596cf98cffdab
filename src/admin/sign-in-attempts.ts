import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { listAttempts } from "../audit/attempts";
import { cursorOf, encodeCursor, PageLimit } from "../http/cursor";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { queryParams } from "../http/validation";

const AttemptView = v.pipe(
  v.object({
    at: v.string(),
    login: v.string(),
    userId: v.nullable(v.string()),
    success: v.boolean(),
    code: v.nullable(v.string()),
    method: v.string(),
    ip: v.nullable(v.string()),
    client: v.nullable(v.string()),
    userAgent: v.nullable(v.string()),
  }),
  v.metadata({ ref: "SignInAttempt" }),
);

const AttemptsQuery = v.object({
  cursor: v.optional(cursorOf(v.pipe(v.number(), v.integer(), v.minValue(1)))),
  limit: PageLimit,
});

export const listSignInAttempts = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Every sign-in attempt of the tenant, newest first",
    responses: {
      200: jsonResponse("A page of attempts", v.object({ items: v.array(AttemptView), nextCursor: v.nullable(v.string()) })),
      ...problems("validation_failed", "unauthorized", "forbidden"),
    },
  }),
  queryParams(AttemptsQuery),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const rows = await listAttempts(c.var.db, c.var.tenant.id, { limit: limit + 1, before: cursor });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        items: page.map((row) => ({
          at: row.at.toISOString(),
          login: row.login,
          userId: row.userId,
          success: row.success,
          code: row.code,
          method: row.method,
          ip: row.ip,
          client: row.clientId,
          userAgent: row.userAgent,
        })),
        nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
      },
      200,
    );
  },
);
