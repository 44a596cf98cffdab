import { describeRoute } from "hono-openapi";
import { AttemptPage, attemptPage, AttemptsQuery } from "../audit/attempt-page";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { queryParams } from "../http/validation";

export const listSignInAttempts = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Every sign-in attempt of the tenant, newest first",
    responses: {
      200: jsonResponse("A page of attempts", AttemptPage),
      ...problems("validation_failed", "unauthorized", "forbidden"),
    },
  }),
  queryParams(AttemptsQuery),
  async (c) => c.json(await attemptPage(c.var.db, c.var.tenant.id, c.req.valid("query")), 200),
);
