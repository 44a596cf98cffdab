import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { Email, PersonName, Username } from "../accounts/fields";
import { NewPassword, passwordReuseProblem } from "../credentials/password-policy";
import type { Tenant } from "../db/schema";
import { cursorOf, encodeCursor, PageLimit } from "../http/cursor";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody, queryParams, validationFailed } from "../http/validation";
import { databaseOf } from "../db/client";
import { createTenant as createTenantWithAdmin } from "../tenants/create";
import { listTenants as queryTenants } from "../tenants/queries";
import { defaultSettings, NewTenantSettings, settingsOf, TenantSettings } from "../tenants/settings";
import { TenantSlug } from "../tenants/slug";

const TenantView = v.pipe(
  v.object({
    id: v.string(),
    name: v.string(),
    displayName: v.string(),
    region: v.string(),
    shard: v.pipe(v.number(), v.description("Which of the region's D1 databases holds the tenant (1 = `DB`, n = `DB_n`)")),
    enabled: v.boolean(),
    settings: TenantSettings,
    createdAt: v.string(),
  }),
  v.metadata({ ref: "Tenant" }),
);

function tenantView(tenant: Tenant, region: string, shard: number): v.InferOutput<typeof TenantView> {
  return {
    id: tenant.id,
    name: tenant.slug,
    displayName: tenant.displayName,
    region,
    shard,
    enabled: tenant.enabled,
    settings: settingsOf(tenant),
    createdAt: tenant.createdAt.toISOString(),
  };
}

const CreateTenantBody = v.pipe(
  v.object({
    name: TenantSlug,
    displayName: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100)),
    settings: v.optional(NewTenantSettings),
    shard: v.optional(
      v.pipe(v.number(), v.integer(), v.minValue(1), v.description("The shard to create it on; by default, the one with the most room")),
    ),
    admin: v.object({
      username: Username,
      email: Email,
      password: NewPassword,
      firstName: v.optional(PersonName),
      lastName: v.optional(PersonName),
    }),
  }),
  v.forward(
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const { admin } = dataset.value;
      const problem = passwordReuseProblem(admin.password, admin);
      if (problem) addIssue({ message: problem });
    }),
    ["admin", "password"],
  ),
  v.metadata({ ref: "CreateTenant" }),
);

export const createTenant = defineRoute(
  describeRoute({
    tags: ["Operator"],
    summary: "Create a tenant in this region, with its first admin",
    responses: {
      201: jsonResponse(
        "The tenant",
        v.intersect([TenantView, v.object({ admin: v.object({ id: v.string(), username: v.string() }) })]),
      ),
      ...problems("validation_failed", "unauthorized", "tenant_exists", "payload_too_large", "unsupported_media_type"),
    },
  }),
  jsonBody(CreateTenantBody),
  async (c) => {
    const body = c.req.valid("json");
    const { config } = c.var;
    if (body.shard !== undefined && body.shard > config.shards.length) {
      throw validationFailed([{ path: "shard", message: `This region has ${config.shards.length} shards` }]);
    }
    const { tenant, admin, shard } = await createTenantWithAdmin(c.env, config, {
      slug: body.name,
      displayName: body.displayName,
      settings: { ...defaultSettings, ...body.settings },
      shard: body.shard,
      admin: body.admin,
    });
    return c.json({ ...tenantView(tenant, config.region, shard), admin: { id: admin.id, username: admin.username } }, 201);
  },
);

export const listTenants = defineRoute(
  describeRoute({
    tags: ["Operator"],
    summary: "The tenants of this region, in name order",
    responses: {
      200: jsonResponse("A page of tenants", v.object({ items: v.array(TenantView), nextCursor: v.nullable(v.string()) })),
      ...problems("validation_failed", "unauthorized"),
    },
  }),
  queryParams(v.object({ cursor: v.optional(cursorOf(TenantSlug)), limit: PageLimit })),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const { config } = c.var;
    // Each shard's next page, merged in name order. One row more than asked tells whether there is a
    // next page without a second query.
    const perShard = await Promise.all(
      config.shards.map(async (d1, index) =>
        (await queryTenants(databaseOf(d1), { after: cursor, limit: limit + 1 })).map((tenant) => ({ tenant, shard: index + 1 })),
      ),
    );
    const rows = perShard.flat().sort((a, b) => (a.tenant.slug < b.tenant.slug ? -1 : 1));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        items: page.map(({ tenant, shard }) => tenantView(tenant, config.region, shard)),
        nextCursor: rows.length > limit && last ? encodeCursor(last.tenant.slug) : null,
      },
      200,
    );
  },
);
