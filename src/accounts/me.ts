import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { jsonBody, jsonResponse, problems } from "../http/openapi";
import { requireUser } from "../policy/require-user";
import { TenantPath } from "../tenants/slug";
import { Username } from "./fields";
import { changeUser } from "./manage";
import { userView, UserView } from "./view";

const signedIn = { security: [{ bearer: [] }], middleware: [requireUser()] };

export const meRoute = createRoute({
  method: "get",
  path: "/t/{tenant}/me",
  tags: ["Signed-in user"],
  summary: "The signed-in user",
  ...signedIn,
  request: { params: TenantPath },
  responses: {
    200: jsonResponse("The signed-in user", UserView),
    ...problems("unauthorized", "account_inactive", "tenant_not_found", "tenant_disabled"),
  },
});

export const me: RouteHandler<typeof meRoute, AppEnv> = (c) => {
  const { user, identities } = c.var.principal;
  c.header("Cache-Control", "no-store");
  return c.json(userView(user, identities), 200);
};

export const updateMeRoute = createRoute({
  method: "patch",
  path: "/t/{tenant}/me",
  tags: ["Signed-in user"],
  summary: "Change my username (e.g. the one generated at registration)",
  ...signedIn,
  request: { params: TenantPath, body: jsonBody(z.object({ username: Username }).openapi("UpdateMe")) },
  responses: {
    200: jsonResponse("The signed-in user", UserView),
    ...problems("validation_failed", "unauthorized", "account_inactive", "username_taken"),
  },
});

export const updateMe: RouteHandler<typeof updateMeRoute, AppEnv> = async (c) => {
  const { user, identities } = c.var.principal;
  // The same change an admin makes, so the username rules and `username_taken` are one code path.
  const renamed = await changeUser(c.var.db, c.var.tenant, user.id, c.req.valid("json"));
  return c.json(userView(renamed, identities), 200);
};
