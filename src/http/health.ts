import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { jsonResponse } from "./openapi";
import { defineRoute } from "./route";

export const health = defineRoute(
  describeRoute({
    tags: ["Service"],
    summary: "Liveness, and which region answers",
    responses: {
      200: jsonResponse("The Worker is up", v.object({ status: v.literal("ok"), region: v.string() })),
    },
  }),
  (c) => c.json({ status: "ok" as const, region: c.var.config.region }, 200),
);
