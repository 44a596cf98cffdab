import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { jsonResponse } from "./openapi";

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Service"],
  summary: "Liveness, and which region answers",
  responses: {
    200: jsonResponse("The Worker is up", z.object({ status: z.literal("ok"), region: z.string() })),
  },
});

export const health: RouteHandler<typeof healthRoute, AppEnv> = (c) =>
  c.json({ status: "ok" as const, region: c.var.config.region }, 200);
