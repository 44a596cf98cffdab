import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody, pathParams } from "../http/validation";
import { advanceMove, DEFAULT_DRAIN_SECONDS } from "../tenants/move";
import { TenantSlug } from "../tenants/slug";

const MoveBody = v.pipe(
  v.object({
    toShard: v.pipe(v.number(), v.integer(), v.minValue(1), v.description("The shard of this region to move the tenant to")),
    drainSeconds: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(0),
        v.maxValue(600),
        v.description("How long requests begun before the tenant became read-only may still write; the same on every call"),
      ),
      DEFAULT_DRAIN_SECONDS,
    ),
  }),
  v.metadata({ ref: "TenantMove" }),
);

const MoveStepView = v.pipe(
  v.object({
    name: v.string(),
    fromShard: v.number(),
    toShard: v.number(),
    phase: v.picklist(["draining", "copying", "switched", "abandoned", "purging", "done"]),
    waitSeconds: v.optional(v.pipe(v.number(), v.description("draining: call again after this long"))),
    table: v.optional(v.pipe(v.string(), v.description("copying: the table this step copied from"))),
    copied: v.optional(v.number()),
    shard: v.optional(v.pipe(v.number(), v.description("purging: the shard this step deleted on"))),
    deleted: v.optional(v.number()),
  }),
  v.metadata({ ref: "TenantMoveStep" }),
);

export const moveTenant = defineRoute(
  describeRoute({
    tags: ["Operator"],
    summary: "Move a tenant to another shard of its region: one step per call, until `phase` is `done`",
    description:
      "The tenant is read-only from the first call until its copy is live (writes answer 503 with Retry-After). Each call does " +
      "one bounded step and is safe to repeat: `npm run tenant:move` calls it until the move is done.",
    responses: {
      200: jsonResponse("The step taken", MoveStepView),
      ...problems("validation_failed", "unauthorized", "tenant_not_found", "payload_too_large", "unsupported_media_type"),
    },
  }),
  pathParams(v.object({ name: TenantSlug })),
  jsonBody(MoveBody),
  async (c) => {
    const { name } = c.req.valid("param");
    const { toShard, drainSeconds } = c.req.valid("json");
    const { fromShard, step } = await advanceMove(c.env, c.var.config, { slug: name, toShard, drainSeconds });
    return c.json({ name, fromShard, toShard, ...step }, 200);
  },
);
