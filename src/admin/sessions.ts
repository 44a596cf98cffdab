import { eq } from "drizzle-orm";
import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { userOfTenant } from "../accounts/queries";
import { SessionList, sessionList } from "../accounts/session-view";
import { sessions } from "../db/schema";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { IdPath, pathParams } from "../http/validation";
import { endSessionOf, listLiveSessions, revokeUserSessions } from "../tokens/sessions";

// An admin's view of a user's sessions: list them, end one, or end them all ("sign out everywhere").
const UserSessionPath = v.object({ id: v.pipe(v.string(), v.uuid()), sessionId: v.pipe(v.string(), v.uuid()) });


export const listUserSessions = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "A user's live sessions, newest first (at most 100); `current` marks the asking admin's own",
    responses: {
      200: jsonResponse("The user's sessions", SessionList),
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
    },
  }),
  pathParams(IdPath),
  async (c) => {
    const { id } = c.req.valid("param");
    const { db, tenant } = c.var;
    await userOfTenant(db, tenant.id, id);
    return c.json(sessionList(await listLiveSessions(db, tenant, id), c.var.principal.sessionId), 200);
  },
);

export const endUserSession = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Sign one session of a user out",
    responses: {
      204: { description: "Ended (or already ended)" },
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
    },
  }),
  pathParams(UserSessionPath),
  async (c) => {
    const { id, sessionId } = c.req.valid("param");
    if (!(await endSessionOf(c.var.db, c.var.tenant.id, id, sessionId))) {
      throw new AppError("not_found", { detail: "No such session of this user in this tenant" });
    }
    return c.body(null, 204);
  },
);

export const signOutEverywhere = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Sign a user out everywhere: every session of theirs ends (the asking admin's own too, if it is theirs)",
    responses: {
      204: { description: "Every session ended" },
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
    },
  }),
  pathParams(IdPath),
  async (c) => {
    const { id } = c.req.valid("param");
    const { db, tenant } = c.var;
    await userOfTenant(db, tenant.id, id);
    await revokeUserSessions(db, id, { onlyIf: eq(sessions.tenantId, tenant.id) });
    return c.body(null, 204);
  },
);
