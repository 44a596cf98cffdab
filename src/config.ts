import * as v from "valibot";
import { DEFAULT_D1_BUDGET_MS } from "./db/guard";
import { providerNames, type ProviderName } from "./db/schema";
import type { ProviderBindings } from "./federation/bindings";
import type { Provider } from "./federation/provider";
import { providerOf } from "./federation/providers";
import type { MailBindings } from "./mail/send";
import type { TenantDirectory } from "./tenants/directory";
import { ClientSchema, type Client } from "./tokens/clients";
import { signingKeys, type SigningKeys } from "./tokens/keys";
import { lookupKey } from "./crypto/lookup-key";
import { secretBoxKey } from "./crypto/secret-box";

export type { Client } from "./tokens/clients";

/** What each regional Worker is bound to (wrangler.toml `[env.eu]` / `[env.us]`, plus Worker secrets). */
export interface Bindings extends ProviderBindings, MailBindings {
  /** The region's first D1 database (shard 1); shard n is bound as `DB_n` (tenants/shards.ts). */
  DB: D1Database;
  [shard: `DB_${number}`]: D1Database | undefined;
  DIRECTORY: DurableObjectNamespace<TenantDirectory>;
  /** This Worker's region, e.g. `eu`. */
  REGION: string;
  /** This region's public origin; each tenant's issuer is `${ORIGIN}/t/${slug}`. */
  ORIGIN: string;
  /** The registered clients, as JSON: `[{ id, redirectUris: [...], … }]` (tokens/clients.ts, README "Clients"). */
  CLIENTS: string;
  /** Secret: the bearer token of the platform operator API. Unset means that API is closed. */
  OPERATOR_TOKEN?: string;
  /**
   * Secret: this region's token signing keys, a JSON array of private JWKs with `kid`, newest first: EC
   * P-256 (ES256) and RSA (RS256), at least one of each (tokens/keys.ts).
   */
  SIGNING_KEYS?: string;
  /**
   * Secret: this region's key for the credentials printid keeps, 32 random bytes or more: HKDF derives
   * from it the keyed hashes that find a PIN, an ID card or a recovery code (crypto/lookup-key.ts) and the
   * key that seals TOTP secrets (crypto/secret-box.ts). Set once: changing it makes every PIN, card,
   * recovery code and authenticator app of the region unknown.
   */
  CREDENTIAL_LOOKUP_KEY?: string;
  /** Rate limits (src/http/rate-limit.ts). */
  CREDENTIALS_LIMIT: RateLimit;
  OAUTH_LIMIT: RateLimit;
  UNKNOWN_TENANT_LIMIT: RateLimit;
  MAIL_LIMIT: RateLimit;
  /** This region's archive of sign-in attempts past their retention (src/audit/archive.ts). */
  ARCHIVE: R2Bucket;
  /** How long one request may wait on D1 in all before it answers 503 (default 10000 ms). */
  D1_BUDGET_MS?: string;
}

const Vars = v.object({
  REGION: v.pipe(v.string(), v.regex(/^[a-z]{2,8}$/)),
  ORIGIN: v.pipe(v.string(), v.url(), v.transform((origin) => new URL(origin).origin)),
  CLIENTS: v.pipe(
    v.string(),
    v.parseJson(),
    v.array(ClientSchema),
    v.check((clients) => new Set(clients.map((client) => client.id)).size === clients.length, "Each client of CLIENTS needs its own id"),
  ),
  D1_BUDGET_MS: v.optional(v.pipe(v.string(), v.toNumber(), v.integer(), v.minValue(50), v.maxValue(30_000)), String(DEFAULT_D1_BUDGET_MS)),
});

export interface Config {
  region: string;
  origin: string;
  clients: ReadonlyMap<string, Client>;
  /** The external providers this Worker has credentials for. */
  providers: ReadonlyMap<ProviderName, Provider>;
  /** This region's token signing keys, imported on first use (`SIGNING_KEYS`, tokens/keys.ts). */
  signingKeys(): Promise<SigningKeys>;
  /** This region's key for finding PINs and ID cards (`CREDENTIAL_LOOKUP_KEY`, crypto/lookup-key.ts). */
  lookupKey(): Promise<CryptoKey>;
  /** This region's key that seals TOTP secrets (`CREDENTIAL_LOOKUP_KEY`, crypto/secret-box.ts). */
  secretBoxKey(): Promise<CryptoKey>;
  /** How long one request may wait on D1 in all (rule H). */
  d1BudgetMs: number;
  /** The region's D1 databases, shard 1 (`DB`) first, then `DB_2`, `DB_3`, … while they are bound. */
  shards: readonly D1Database[];
}

/** Shard n is the binding `DB_n` (shard 1, `DB`): numbers a tenant's home keeps for good, so never renumbered. */
function shardsOf(env: Bindings): D1Database[] {
  const shards = [env.DB];
  for (let n = 2; env[`DB_${n}`]; n++) shards.push(env[`DB_${n}`]!);
  return shards;
}

/** Per bindings object: workerd hands every request of an isolate the same one, so a request costs a lookup. */
const parsed = new WeakMap<Bindings, Config>();

/**
 * The Worker's configuration, parsed and validated once per isolate: vars, clients, providers and
 * signing keys. A bad deployment fails loudly, on its first request, not subtly later.
 */
export function configOf(env: Bindings): Config {
  let config = parsed.get(env);
  if (!config) {
    const vars = v.parse(Vars, env);
    const providers = new Map<ProviderName, Provider>();
    for (const name of providerNames) {
      const provider = providerOf(env, name);
      if (provider) providers.set(name, provider);
    }
    config = {
      region: vars.REGION,
      origin: vars.ORIGIN,
      clients: new Map(vars.CLIENTS.map((client) => [client.id, client])),
      providers,
      signingKeys: () => signingKeys(env.SIGNING_KEYS),
      lookupKey: () => lookupKey(env.CREDENTIAL_LOOKUP_KEY),
      secretBoxKey: () => secretBoxKey(env.CREDENTIAL_LOOKUP_KEY),
      d1BudgetMs: vars.D1_BUDGET_MS,
      shards: shardsOf(env),
    };
    parsed.set(env, config);
  }
  return config;
}
