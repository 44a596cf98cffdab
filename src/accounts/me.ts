import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { AttemptPage, attemptPage, AttemptsQuery } from "../audit/attempt-page";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody, queryParams } from "../http/validation";
import { Username } from "./fields";
import { changeUser } from "./manage";
import { userView, UserView } from "./view";

export const me = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "The signed-in user",
    responses: {
      200: jsonResponse("The signed-in user", UserView),
      ...problems("unauthorized", "account_inactive", "tenant_not_found", "tenant_disabled"),
    },
  }),
  (c) => {
    const { user, identities } = c.var.principal;
    c.header("Cache-Control", "no-store");
    return c.json(userView(user, identities), 200);
  },
);

const UpdateMeBody = v.pipe(v.object({ username: Username }), v.metadata({ ref: "UpdateMe" }));

export const updateMe = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Change my username (e.g. the one generated at registration)",
    responses: {
      200: jsonResponse("The signed-in user", UserView),
      ...problems("validation_failed", "unauthorized", "account_inactive", "username_taken"),
    },
  }),
  jsonBody(UpdateMeBody),
  async (c) => {
    const { user, identities } = c.var.principal;
    // The same change an admin makes, so the username rules and `username_taken` are one code path.
    const renamed = await changeUser(c.var.db, c.var.tenant, user.id, c.req.valid("json"));
    return c.json(userView(renamed, identities), 200);
  },
);

/** MyQ's "Login attempts" page: the person's own attempts, those whose login resolved to them. */
export const mySignInAttempts = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "My sign-in attempts, newest first: time, method, outcome, IP, client, user agent",
    responses: {
      200: jsonResponse("A page of my attempts", AttemptPage),
      ...problems("validation_failed", "unauthorized", "account_inactive"),
    },
  }),
  queryParams(AttemptsQuery),
  async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(await attemptPage(c.var.db, c.var.tenant.id, c.req.valid("query"), c.var.principal.user.id), 200);
  },
);
