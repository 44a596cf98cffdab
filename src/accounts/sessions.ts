import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { pathParams } from "../http/validation";
import { endSessionOf, listLiveSessions } from "../tokens/sessions";
import { SessionList, sessionList } from "./session-view";

/** The signed-in person's own sessions: where they are signed in, and signing one of them out. */
export const listMySessions = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "My live sessions, newest first (at most 100); `current` marks the one asking",
    responses: {
      200: jsonResponse("My sessions", SessionList),
      ...problems("unauthorized", "account_inactive", "tenant_not_found", "tenant_disabled"),
    },
  }),
  async (c) => {
    const { user, sessionId } = c.var.principal;
    c.header("Cache-Control", "no-store");
    return c.json(sessionList(await listLiveSessions(c.var.db, c.var.tenant, user.id), sessionId), 200);
  },
);

const SessionPath = v.object({ id: v.pipe(v.string(), v.uuid()) });

export const endMySession = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Sign one of my sessions out (the current one too); another person's is 404",
    responses: {
      204: { description: "Ended (or already ended)" },
      ...problems("validation_failed", "unauthorized", "account_inactive", "not_found"),
    },
  }),
  pathParams(SessionPath),
  async (c) => {
    const { id } = c.req.valid("param");
    if (!(await endSessionOf(c.var.db, c.var.tenant.id, c.var.principal.user.id, id))) {
      throw new AppError("not_found", { detail: "No such session of yours" });
    }
    return c.body(null, 204);
  },
);
