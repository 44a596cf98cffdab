import { z } from "zod";
import { DEFAULT_D1_BUDGET_MS } from "./db/guard";
import { providerNames, type ProviderName } from "./db/schema";
import type { ProviderBindings } from "./federation/bindings";
import type { TenantDirectory } from "./tenants/directory";

/** What each regional Worker is bound to (wrangler.toml `[env.eu]` / `[env.us]`, plus Worker secrets). */
export interface Bindings extends ProviderBindings {
  DB: D1Database;
  DIRECTORY: DurableObjectNamespace<TenantDirectory>;
  /** This Worker's region, e.g. `eu`. */
  REGION: string;
  /** This region's public origin; each tenant's issuer is `${ORIGIN}/t/${slug}`. */
  ORIGIN: string;
  /** The registered public clients, as JSON: `[{ id, redirectUris: [...] }]`. */
  CLIENTS: string;
  /** Secret: the bearer token of the platform operator API. Unset means that API is closed. */
  OPERATOR_TOKEN?: string;
  /** Secret: this region's token signing keys, a JSON array of private ES256 JWKs, newest first. */
  SIGNING_KEYS?: string;
  /** Rate limits (src/http/rate-limit.ts). */
  CREDENTIALS_LIMIT: RateLimit;
  OAUTH_LIMIT: RateLimit;
  UNKNOWN_TENANT_LIMIT: RateLimit;
  /** How long one request may wait on D1 in all before it answers 503 (default 10000 ms). */
  D1_BUDGET_MS?: string;
}

const clientIdVar = {
  apple: "APPLE_CLIENT_ID",
  google: "GOOGLE_CLIENT_ID",
  microsoft: "MICROSOFT_CLIENT_ID",
} as const satisfies Record<ProviderName, keyof Bindings>;

const PublicClient = z.object({
  id: z.string().min(1),
  redirectUris: z.array(z.string().min(1)).min(1),
});
export type PublicClient = z.infer<typeof PublicClient>;

const Vars = z.object({
  REGION: z.string().regex(/^[a-z]{2,8}$/),
  ORIGIN: z.url().transform((origin) => new URL(origin).origin),
  CLIENTS: z
    .string()
    .transform((json) => JSON.parse(json) as unknown)
    .pipe(z.array(PublicClient)),
  D1_BUDGET_MS: z.coerce.number().int().min(50).max(30_000).default(DEFAULT_D1_BUDGET_MS),
});

export interface Config {
  region: string;
  origin: string;
  clients: ReadonlyMap<string, PublicClient>;
  /** The external providers this Worker has credentials for. */
  providers: readonly ProviderName[];
  /** How long one request may wait on D1 in all (rule H). */
  d1BudgetMs: number;
}

const parsed = new Map<string, Config>();

/** The Worker's configuration, validated once per isolate; a bad deployment fails loudly, not subtly. */
export function configOf(env: Bindings): Config {
  const providers = providerNames.filter((provider) => Boolean(env[clientIdVar[provider]]));
  const key = [env.REGION, env.ORIGIN, env.CLIENTS, env.D1_BUDGET_MS, ...providers].join("\n");
  let config = parsed.get(key);
  if (!config) {
    const vars = Vars.parse(env);
    config = {
      region: vars.REGION,
      origin: vars.ORIGIN,
      clients: new Map(vars.CLIENTS.map((client) => [client.id, client])),
      providers,
      d1BudgetMs: vars.D1_BUDGET_MS,
    };
    parsed.set(key, config);
  }
  return config;
}
