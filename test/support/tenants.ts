import { testEnv as env } from "./env";
import type { Region } from "./regions";

/** A tenant name no other test uses: tests share the directory and databases, never their rows. */
export function uniqueSlug(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

export const operatorAuth = { Authorization: `Bearer ${env.OPERATOR_TOKEN}` };

export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/**
 * A tenant on shard 1 unless `overrides` name another: tests read and write their tenants' rows through
 * `region.db`. The default placement (the shard with the most room) has its own tests (tenants/shards).
 */
export function tenantBody(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    displayName: `Tenant ${name}`,
    shard: 1,
    admin: { username: "admin", email: `admin@${name}.example`, password: "correct horse battery" },
    ...overrides,
  };
}

/** Creates a tenant through the operator API of `region`, as an operator would. */
export async function createTenant(region: Region, name = uniqueSlug(), overrides: Record<string, unknown> = {}) {
  const response = await region.fetch("/operator/tenants", json(tenantBody(name, overrides), operatorAuth));
  if (response.status !== 201) throw new Error(`tenant ${name}: ${response.status} ${await response.text()}`);
  return { name, body: (await response.json()) as { id: string; name: string; admin: { id: string } } };
}

/** A fresh tenant of `region` open to registration, new users active at once, unless `settings` say otherwise. */
export async function openTenant(
  region: Region,
  settings: { allowRegistration?: boolean; newUsersActiveByDefault?: boolean; providers?: { work: string[]; personal: string[] } } = {},
) {
  const { name, body } = await createTenant(region, uniqueSlug(), {
    settings: { allowRegistration: true, newUsersActiveByDefault: true, ...settings },
  });
  return { name, id: body.id, adminId: body.admin.id };
}
