/**
 * A region's tenants are spread over several D1 databases, its shards (wrangler.toml binds shard 1 as
 * `DB` and shard n as `DB_n`; config.ts lists them). A tenant lives on one; the tenant middleware picks
 * its handle for the request, so no query path knows how many shards there are.
 */
import { sql } from "drizzle-orm";
import type { Config } from "../config";
import { databaseOf, type Database } from "../db/client";
import { readOnlyDatabase, WriteRefused } from "../db/read-only";
import type { Tenant } from "../db/schema";

/** The binding of shard `n`; a home naming a shard this Worker is not bound to is a broken deployment. */
export function shardBinding(config: Config, n: number): D1Database {
  const d1 = config.shards[n - 1];
  if (!d1) throw new Error(`shard ${n} is not bound: wrangler.toml must bind ${n === 1 ? "DB" : `DB_${n}`}`);
  return d1;
}

export function shardDatabase(config: Config, n: number): Database {
  return databaseOf(shardBinding(config, n));
}

/** Whether a shard's row of a tenant is the one to serve: not a copy still arriving, nor one that has left. */
export function servedHere(tenant: Tenant): boolean {
  return tenant.moveState === null || tenant.moveState === "leaving";
}

/** How long a refused write's client should wait: a move of a large tenant takes minutes. */
const MOVE_RETRY_SECONDS = 60;

const movingTenantRefusal = () =>
  new WriteRefused("This tenant is being moved to another database and is read-only for a few minutes: try again shortly.", MOVE_RETRY_SECONDS);

const readOnlyHandles = new WeakMap<D1Database, Database>();

/**
 * The handle a request of `tenant` uses on its shard: read-only while the tenant leaves it, so that
 * every write of every room is refused (503, `Retry-After`) instead of being left behind by the move.
 */
export function tenantDatabase(d1: D1Database, tenant: Tenant): Database {
  if (tenant.moveState !== "leaving") return databaseOf(d1);
  let db = readOnlyHandles.get(d1);
  if (!db) {
    db = readOnlyDatabase(d1, movingTenantRefusal);
    readOnlyHandles.set(d1, db);
  }
  return db;
}

/**
 * The shard with the most room, for a new tenant: every shard has D1's same size limit, so the smallest
 * (as D1 reports each database's size after a query), the first of equals.
 */
export async function roomiestShard(config: Config): Promise<number> {
  const sizes = await Promise.all(
    config.shards.map(async (d1) => (await databaseOf(d1).run(sql`SELECT 1`)).meta.size_after ?? 0),
  );
  return sizes.indexOf(Math.min(...sizes)) + 1;
}
