import type { Context } from "hono";
import { providerNames, type AccountKind, type ProviderName, type Tenant } from "../db/schema";
import { redirectToProvider } from "../federation/routes";
import type { AppEnv } from "../http/context";
import { accountOf, authorizePath, clientParameters, withAccount } from "./authorize";
import type { AuthorizationRequest } from "./authorization-request";

/** The providers the page offers for this kind of account: the tenant's choice, where this Worker has their credentials. */
export function providerButtons(c: Context<AppEnv>, tenant: Tenant, account: AccountKind, parameters: URLSearchParams): { name: ProviderName; href: string }[] {
  return tenant.providers[account]
    .filter((name) => c.var.config.providers.has(name))
    .map((name) => ({ name, href: `${authorizePath(tenant)}/provider/${name}?${withAccount(parameters, account)}` }));
}

/**
 * GET /authorize/provider/{provider}: the provider's button. The provider flow of the native apps
 * (federation), carrying this request to resume once the provider has answered.
 */
export async function startProvider(c: Context<AppEnv>, parameters: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  const name = c.req.param("provider") as ProviderName;
  if (!providerNames.includes(name)) throw new Error("unreachable: the route matches provider names only");
  return redirectToProvider(c, name, accountOf(c.var.tenant, parameters), {
    clientId: request.client.id,
    redirectUri: request.redirectUri,
    appState: request.state ?? "",
    appCodeChallenge: request.codeChallenge ?? "",
    resume: clientParameters(parameters).toString(),
  });
}
