import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { jsonBody, jsonResponse, problems } from "../http/openapi";
import { saveSettings } from "../tenants/queries";
import { SettingsPatch, settingsOf, TenantSettings } from "../tenants/settings";
import { TenantPath } from "../tenants/slug";
import { adminOnly } from "./admin-only";

/** Administration › Settings › User management. */
export const getSettingsRoute = createRoute({
  method: "get",
  path: "/t/{tenant}/admin/settings",
  tags: ["Administration"],
  summary: "The tenant's User management settings",
  ...adminOnly,
  request: { params: TenantPath },
  responses: {
    200: jsonResponse("The settings", TenantSettings),
    ...problems("unauthorized", "forbidden", "account_inactive", "tenant_not_found"),
  },
});

export const getSettings: RouteHandler<typeof getSettingsRoute, AppEnv> = (c) =>
  c.json(settingsOf(c.var.tenant), 200);

export const patchSettingsRoute = createRoute({
  method: "patch",
  path: "/t/{tenant}/admin/settings",
  tags: ["Administration"],
  summary: "Change some of the settings; they apply from the next request on",
  ...adminOnly,
  request: { params: TenantPath, body: jsonBody(SettingsPatch) },
  responses: {
    200: jsonResponse("The new settings", TenantSettings),
    ...problems("validation_failed", "unauthorized", "forbidden", "account_inactive"),
  },
});

export const patchSettings: RouteHandler<typeof patchSettingsRoute, AppEnv> = async (c) => {
  const { tenant, db } = c.var;
  const saved = await saveSettings(db, tenant.id, c.req.valid("json"));
  return c.json(settingsOf(saved), 200);
};
