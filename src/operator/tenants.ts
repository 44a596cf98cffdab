import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import { Email, PersonName, Username } from "../accounts/fields";
import { NewPassword, passwordReuseProblem } from "../credentials/password-policy";
import type { Tenant } from "../db/schema";
import type { AppEnv } from "../http/context";
import { cursorOf, encodeCursor, PageLimit } from "../http/cursor";
import { jsonBody, jsonResponse, problems } from "../http/openapi";
import { createTenant } from "../tenants/create";
import { listTenants } from "../tenants/queries";
import { defaultSettings, settingsOf, TenantSettings } from "../tenants/settings";
import { TenantSlug } from "../tenants/slug";
import { requireOperator } from "./auth";

const TenantView = z
  .object({
    id: z.string(),
    name: z.string(),
    displayName: z.string(),
    region: z.string(),
    enabled: z.boolean(),
    settings: TenantSettings,
    createdAt: z.string(),
  })
  .openapi("Tenant");

function tenantView(tenant: Tenant, region: string): z.infer<typeof TenantView> {
  return {
    id: tenant.id,
    name: tenant.slug,
    displayName: tenant.displayName,
    region,
    enabled: tenant.enabled,
    settings: settingsOf(tenant),
    createdAt: tenant.createdAt.toISOString(),
  };
}

const CreateTenantBody = z
  .object({
    name: TenantSlug,
    displayName: z.string().trim().min(1).max(100),
    settings: TenantSettings.partial().optional(),
    admin: z.object({
      username: Username,
      email: Email,
      password: NewPassword,
      firstName: PersonName.optional(),
      lastName: PersonName.optional(),
    }),
  })
  .superRefine(({ admin }, ctx) => {
    const problem = passwordReuseProblem(admin.password, admin);
    if (problem) ctx.addIssue({ code: "custom", path: ["admin", "password"], message: problem });
  })
  .openapi("CreateTenant");

const operatorOnly = { security: [{ operatorToken: [] }], middleware: [requireOperator()] };

export const createTenantRoute = createRoute({
  method: "post",
  path: "/operator/tenants",
  tags: ["Operator"],
  summary: "Create a tenant in this region, with its first admin",
  ...operatorOnly,
  request: { body: jsonBody(CreateTenantBody) },
  responses: {
    201: jsonResponse("The tenant", TenantView.extend({ admin: z.object({ id: z.string(), username: z.string() }) })),
    ...problems("validation_failed", "unauthorized", "tenant_exists", "payload_too_large", "unsupported_media_type"),
  },
});

export const createTenantHandler: RouteHandler<typeof createTenantRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const { tenant, admin } = await createTenant(c.env, c.var.db, c.var.config.region, {
    slug: body.name,
    displayName: body.displayName,
    settings: { ...defaultSettings, ...body.settings },
    admin: body.admin,
  });
  return c.json(
    { ...tenantView(tenant, c.var.config.region), admin: { id: admin.id, username: admin.username } },
    201,
  );
};

export const listTenantsRoute = createRoute({
  method: "get",
  path: "/operator/tenants",
  tags: ["Operator"],
  summary: "The tenants of this region, in name order",
  ...operatorOnly,
  request: { query: z.object({ cursor: cursorOf(TenantSlug).optional(), limit: PageLimit }) },
  responses: {
    200: jsonResponse("A page of tenants", z.object({ items: z.array(TenantView), nextCursor: z.string().nullable() })),
    ...problems("validation_failed", "unauthorized"),
  },
});

export const listTenantsHandler: RouteHandler<typeof listTenantsRoute, AppEnv> = async (c) => {
  const { cursor, limit } = c.req.valid("query");
  // One row more than asked tells whether there is a next page without a second query.
  const rows = await listTenants(c.var.db, { after: cursor, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return c.json(
    {
      items: page.map((tenant) => tenantView(tenant, c.var.config.region)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.slug) : null,
    },
    200,
  );
};
