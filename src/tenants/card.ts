import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import type { Config } from "../config";
import { accountKinds, panelMethods, type AccountKind, type Tenant } from "../db/schema";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";

const SignInMethod = v.picklist(["password", "apple", "google", "microsoft"]);

export const TenantCard = v.pipe(
  v.object({
    tenant: v.string(),
    displayName: v.string(),
    region: v.string(),
    registrationAllowed: v.boolean(),
    signIn: v.object({ work: v.array(SignInMethod), personal: v.array(SignInMethod) }),
    panel: v.pipe(
      v.object({ methods: v.array(v.picklist(panelMethods)), cardNeedsPin: v.boolean() }),
      v.description("How people sign in at the tenant's printers: what its panels offer, and whether a card needs its holder's PIN"),
    ),
  }),
  v.metadata({ ref: "TenantCard" }),
);

/**
 * What the app shows once the user has typed the tenant's name: which ways in each kind of account has.
 * MyQ credentials always; a provider when the tenant enables it for that kind and this Worker has its
 * credentials. Personal accounts are registered by their users, so none while registration is off.
 */
export function tenantCardOf(tenant: Tenant, config: Config): v.InferOutput<typeof TenantCard> {
  const methodsFor = (kind: AccountKind) =>
    kind === "personal" && !tenant.allowRegistration
      ? []
      : ["password" as const, ...tenant.providers[kind].filter((provider) => config.providers.has(provider))];
  return {
    tenant: tenant.slug,
    displayName: tenant.displayName,
    region: config.region,
    registrationAllowed: tenant.allowRegistration,
    signIn: Object.fromEntries(accountKinds.map((kind) => [kind, methodsFor(kind)])) as Record<
      AccountKind,
      v.InferOutput<typeof SignInMethod>[]
    >,
    panel: { methods: tenant.panel.methods, cardNeedsPin: tenant.panel.methods.includes("card") && tenant.panel.cardNeedsPin },
  };
}

export const tenantCard = defineRoute(
  describeRoute({
    tags: ["Tenants"],
    summary: "The tenant card: how users of this tenant sign in",
    responses: {
      200: jsonResponse("The tenant card", TenantCard),
      ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
    },
  }),
  (c) => c.json(tenantCardOf(c.var.tenant, c.var.config), 200),
);
