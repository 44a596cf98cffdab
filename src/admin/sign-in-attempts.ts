import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import { listAttempts } from "../audit/attempts";
import type { AppEnv } from "../http/context";
import { cursorOf, encodeCursor, PageLimit } from "../http/cursor";
import { jsonResponse, problems } from "../http/openapi";
import { TenantPath } from "../tenants/slug";
import { adminOnly } from "./admin-only";

const AttemptView = z
  .object({
    at: z.string(),
    login: z.string(),
    userId: z.string().nullable(),
    success: z.boolean(),
    code: z.string().nullable(),
    method: z.string(),
    ip: z.string().nullable(),
    client: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .openapi("SignInAttempt");

export const listAttemptsRoute = createRoute({
  method: "get",
  path: "/t/{tenant}/admin/sign-in-attempts",
  tags: ["Administration"],
  summary: "Every sign-in attempt of the tenant, newest first",
  ...adminOnly,
  request: {
    params: TenantPath,
    query: z.object({ cursor: cursorOf(z.number().int().positive()).optional(), limit: PageLimit }),
  },
  responses: {
    200: jsonResponse("A page of attempts", z.object({ items: z.array(AttemptView), nextCursor: z.string().nullable() })),
    ...problems("validation_failed", "unauthorized", "forbidden"),
  },
});

export const listSignInAttempts: RouteHandler<typeof listAttemptsRoute, AppEnv> = async (c) => {
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
};
