// A region's shards as the tests see them: a view of the region whose `db` is one chosen shard (so that
// every helper reading `region.db` reads that shard), tenants created on a chosen shard, a tenant's rows
// counted on each shard, a shard's size as D1 reports it, rows put in through the schema in statements of
// D1's size, the region's bindings (for its scheduled handler), and the eu Worker with one shard failing.
import { getTableColumns } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Bindings } from "../../src/config";
import { testEnv as env } from "./env";
import type { Region } from "./regions";
import { countOf } from "./rows";
import { createTenant, uniqueSlug } from "./tenants";

/** `region` with `db` set to its shard `shard` (1-based): the Worker is the same, only the tests' reads move. */
export function onShard(region: Region, shard: number): Region {
  const db = region.shards[shard - 1];
  if (!db) throw new Error(`${region.name} has no shard ${shard}`);
  return { ...region, db };
}

/** The other shard of a two-shard region. */
export const otherShard = (shard: number) => (shard === 1 ? 2 : 1);

export interface ShardTenant {
  /** The region viewed on the tenant's shard. */
  region: Region;
  shard: number;
  name: string;
  id: string;
  adminId: string;
  /** The operator API's answer to the creation (the tenant view, with its `shard`). */
  view: Record<string, unknown>;
}

/** A fresh tenant of `region` on `shard`, with these settings (open to registration, new users active, unless told). */
export async function tenantOnShard(region: Region, shard: number, settings: Record<string, unknown> = {}): Promise<ShardTenant> {
  const { name, body } = await createTenant(region, uniqueSlug(`s${shard}`), {
    shard,
    settings: { allowRegistration: true, newUsersActiveByDefault: true, ...settings },
  });
  return { region: onShard(region, shard), shard, name, id: body.id, adminId: body.admin.id, view: body };
}

/** How many rows of `table` belong to the tenant on each shard of its region, shard 1 first. */
export async function rowsPerShard(region: Region, table: string, tenantId: string): Promise<number[]> {
  const column = table === "tenants" ? "id" : "tenant_id";
  return Promise.all(
    region.shards.map((_, index) => countOf(onShard(region, index + 1), `SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`, tenantId)),
  );
}

/** The shard's size in bytes, as D1 reports it after a query (`meta.size_after`), which the placement reads. */
export async function shardSize(d1: D1Database): Promise<number> {
  const { meta } = await d1.prepare("SELECT 1").run();
  if (typeof meta.size_after !== "number") throw new Error("D1 reports no size_after");
  return meta.size_after;
}

/** D1 binds at most 100 parameters a statement. */
const MAX_PARAMETERS = 100;

/** Puts `rows` into `table` of `d1` through the schema, in one batch of statements D1 accepts. */
export async function insertRows<T extends SQLiteTable>(d1: D1Database, table: T, rows: T["$inferInsert"][]): Promise<void> {
  if (rows.length === 0) return;
  // Drizzle binds every column it knows a value or a default for: at most all of them.
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Object.keys(getTableColumns(table)).length));
  const db = drizzle(d1);
  const statements = [];
  for (let i = 0; i < rows.length; i += perStatement) statements.push(db.insert(table).values(rows.slice(i, i + perStatement)));
  await db.batch(statements as unknown as Parameters<typeof db.batch>[0]);
}

/** The bindings a region's Worker runs with (as support/regions.ts builds them), for its scheduled handler. */
export function bindingsOf(region: Region): Bindings {
  if (region.name === "eu") return env;
  return { ...env, ...env.US_VARS, DB: env.DB_US, DB_2: env.DB_US_2, SIGNING_KEYS: env.SIGNING_KEYS_US, CREDENTIAL_LOOKUP_KEY: env.CREDENTIAL_LOOKUP_KEY_US };
}

