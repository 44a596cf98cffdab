import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { isUniqueViolation } from "../db/errors";
import type { AppEnv } from "../http/context";
import { AppError } from "../http/errors";
import { jsonBody, jsonResponse, problems } from "../http/openapi";
import { requireUser } from "../policy/require-user";
import { TenantPath } from "../tenants/slug";
import { Username } from "./fields";
import { renameUser } from "./queries";
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
  const { username } = c.req.valid("json");
  const { user, identities } = c.var.principal;
  let renamed;
  try {
    renamed = await renameUser(c.var.db, c.var.tenant.id, user.id, username);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("username_taken", { detail: `'${username}' is taken` });
    throw error;
  }
  if (!renamed) throw new AppError("unauthorized");
  return c.json(userView(renamed, identities), 200);
};
