import { describeRoute } from "hono-openapi";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody } from "../http/validation";
import { saveSettings } from "../tenants/queries";
import { SettingsPatch, settingsOf, TenantSettings } from "../tenants/settings";

/** Administration › Settings › User management. */
export const getSettings = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "The tenant's User management settings",
    responses: {
      200: jsonResponse("The settings", TenantSettings),
      ...problems("unauthorized", "forbidden", "account_inactive", "tenant_not_found"),
    },
  }),
  (c) => c.json(settingsOf(c.var.tenant), 200),
);

export const patchSettings = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Change some of the settings; they apply from the next request on",
    responses: {
      200: jsonResponse("The new settings", TenantSettings),
      ...problems("validation_failed", "unauthorized", "forbidden", "account_inactive"),
    },
  }),
  jsonBody(SettingsPatch),
  async (c) => {
    const { tenant, db } = c.var;
    const saved = await saveSettings(db, tenant, c.req.valid("json"));
    return c.json(settingsOf(saved), 200);
  },
);
