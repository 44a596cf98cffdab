import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import type { Config } from "../config";
import { accountKinds, type AccountKind, type Tenant } from "../db/schema";
import type { AppEnv } from "../http/context";
import { jsonResponse, problems } from "../http/openapi";
import { tenantRoute } from "./middleware";
import { TenantPath } from "./slug";

const SignInMethod = z.enum(["password", "apple", "google", "microsoft"]);

export const TenantCard = z
  .object({
    tenant: z.string(),
    displayName: z.string(),
    region: z.string(),
    registrationAllowed: z.boolean(),
    signIn: z.object({ work: z.array(SignInMethod), personal: z.array(SignInMethod) }),
  })
  .openapi("TenantCard");

/**
 * What the app shows once the user has typed the tenant's name: which ways in each kind of account has.
 * MyQ credentials always; a provider when the tenant enables it for that kind and this Worker has its
 * credentials. Personal accounts are registered by their users, so none while registration is off.
 */
export function tenantCardOf(tenant: Tenant, config: Config): z.infer<typeof TenantCard> {
  const methodsFor = (kind: AccountKind) =>
    kind === "personal" && !tenant.allowRegistration
      ? []
      : ["password" as const, ...tenant.providers[kind].filter((provider) => config.providers.includes(provider))];
  return {
    tenant: tenant.slug,
    displayName: tenant.displayName,
    region: config.region,
    registrationAllowed: tenant.allowRegistration,
    signIn: Object.fromEntries(accountKinds.map((kind) => [kind, methodsFor(kind)])) as Record<
      AccountKind,
      z.infer<typeof SignInMethod>[]
    >,
  };
}

export const tenantCardRoute = createRoute({
  method: "get",
  path: "/t/{tenant}",
  tags: ["Tenants"],
  summary: "The tenant card: how users of this tenant sign in",
  middleware: [tenantRoute()],
  request: { params: TenantPath },
  responses: {
    200: jsonResponse("The tenant card", TenantCard),
    ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
  },
});

export const tenantCard: RouteHandler<typeof tenantCardRoute, AppEnv> = (c) =>
  c.json(tenantCardOf(c.var.tenant, c.var.config), 200);
