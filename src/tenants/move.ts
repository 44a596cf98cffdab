/**
 * Moving a tenant to another shard of its region without losing a row (`npm run tenant:move`, through
 * `POST /operator/tenants/{name}/move`). A move is a series of short steps, each one bounded call, that
 * the operator's script repeats until the move is done; every step reads where the move stands from the
 * rows themselves, so a step that failed, or whose answer was lost, is simply taken again.
 *
 * 1. Leaving: the tenant's row on its shard is marked `leaving`. From then on every request of the tenant
 *    gets a read-only handle (tenants/shards.ts): reads are served, writes answer 503 with Retry-After.
 * 2. Draining: the copy waits until requests begun before that mark (which may still write) have ended.
 * 3. Copying: a copy of the tenant row, marked `arriving` (never served), then each table's rows of the
 *    tenant, a chunk per step, in the order of an index of the tenant; each chunk is written in one batch
 *    with the copy's progress, so a chunk is copied exactly once.
 * 4. Switching: the copy is made live, the directory names the new shard, the old row is marked `left`.
 *    An isolate that still remembers the old shard finds `left` there and asks the directory again.
 * 5. Purging: the tenant's rows on the old shard are deleted in bounded chunks, its row last.
 *
 * This is the one place that writes every table a tenant owns: it copies and deletes rows as they are,
 * without reading what they mean (docs/storage.md, "Who writes what").
 */
import { and, asc, eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Bindings, Config } from "../config";
import { databaseOf, type Database } from "../db/client";
import { deleteSome } from "../db/prune";
import {
  accountTokens,
  deviceAuthorizations,
  deviceClients,
  idCards,
  mfaChallenges,
  passkeys,
  recoveryCodes,
  rememberedDevices,
  secondFactors,
  usedClientAssertions,
  userPins,
  webauthnChallenges,
  authorizationCodes,
  externalIdentities,
  oauthFlows,
  sessions,
  signInAttempts,
  tenants,
  unknownLoginFailures,
  users,
  type Tenant,
} from "../db/schema";
import { AppError } from "../http/errors";
import { validationFailed } from "../http/validation";
import { tenantDirectory } from "./directory";
import { findTenantBySlug } from "./queries";
import { shardBinding } from "./shards";

/** How long a request may still write after the tenant became read-only: well above rule H's D1 budget. */
export const DEFAULT_DRAIN_SECONDS = 30;
/** Rows of one table a step copies or deletes: a batch well within D1's limits. */
export const MOVE_CHUNK = 200;
/** D1 binds at most 100 values to one statement: a multi-row insert holds this many columns in all. */
const BOUND_VALUES_PER_STATEMENT = 100;

/** A table a tenant owns, as the move copies it. */
interface OwnedTable {
  name: string;
  table: SQLiteTable;
  tenantId: AnySQLiteColumn;
  /** The columns after `tenant_id` of one of the table's indexes (or its primary key): the copy's cursor. */
  order: AnySQLiteColumn[];
  /** A shard-local number (an autoincrement id): not copied, the new shard numbers the rows in order. */
  renumbered?: AnySQLiteColumn;
}

/** Parents before children (foreign keys): users before what refers to them. */
const ownedTables: OwnedTable[] = [
  { name: "users", table: users, tenantId: users.tenantId, order: [users.createdAt, users.id] },
  {
    name: "external_identities",
    table: externalIdentities,
    tenantId: externalIdentities.tenantId,
    order: [externalIdentities.provider, externalIdentities.subject],
  },
  // Sessions, codes, flows and account tokens have no index that starts with the tenant: the copy walks the primary key,
  // which the cursor makes one pass over the table for the whole move (codes and flows live minutes).
  { name: "sessions", table: sessions, tenantId: sessions.tenantId, order: [sessions.id] },
  { name: "authorization_codes", table: authorizationCodes, tenantId: authorizationCodes.tenantId, order: [authorizationCodes.codeHash] },
  { name: "oauth_flows", table: oauthFlows, tenantId: oauthFlows.tenantId, order: [oauthFlows.stateHash] },
  { name: "account_tokens", table: accountTokens, tenantId: accountTokens.tenantId, order: [accountTokens.tokenHash] },
  { name: "device_clients", table: deviceClients, tenantId: deviceClients.tenantId, order: [deviceClients.createdAt, deviceClients.id] },
  {
    name: "device_authorizations",
    table: deviceAuthorizations,
    tenantId: deviceAuthorizations.tenantId,
    order: [deviceAuthorizations.deviceCodeHash],
  },
  { name: "used_client_assertions", table: usedClientAssertions, tenantId: usedClientAssertions.tenantId, order: [usedClientAssertions.jtiHash] },
  { name: "user_pins", table: userPins, tenantId: userPins.tenantId, order: [userPins.length, userPins.userId] },
  { name: "id_cards", table: idCards, tenantId: idCards.tenantId, order: [idCards.id] },
  { name: "second_factors", table: secondFactors, tenantId: secondFactors.tenantId, order: [secondFactors.id] },
  { name: "passkeys", table: passkeys, tenantId: passkeys.tenantId, order: [passkeys.id] },
  { name: "recovery_codes", table: recoveryCodes, tenantId: recoveryCodes.tenantId, order: [recoveryCodes.userId, recoveryCodes.codeHash] },
  { name: "mfa_challenges", table: mfaChallenges, tenantId: mfaChallenges.tenantId, order: [mfaChallenges.tokenHash] },
  { name: "webauthn_challenges", table: webauthnChallenges, tenantId: webauthnChallenges.tenantId, order: [webauthnChallenges.challengeHash] },
  { name: "remembered_devices", table: rememberedDevices, tenantId: rememberedDevices.tenantId, order: [rememberedDevices.tokenHash] },
  { name: "unknown_login_failures", table: unknownLoginFailures, tenantId: unknownLoginFailures.tenantId, order: [unknownLoginFailures.bucket] },
  { name: "sign_in_attempts", table: signInAttempts, tenantId: signInAttempts.tenantId, order: [signInAttempts.id], renumbered: signInAttempts.id },
];

/**
 * The old shard's rows go children first; deleting a user deletes its sessions, identities and codes
 * through their foreign keys (each through an index on its user), the tenant row last.
 */
const purgedTables: SQLiteTable[] = [
  signInAttempts,
  unknownLoginFailures,
  oauthFlows,
  authorizationCodes,
  accountTokens,
  deviceAuthorizations,
  usedClientAssertions,
  deviceClients,
  idCards,
  userPins,
  mfaChallenges,
  webauthnChallenges,
  rememberedDevices,
  recoveryCodes,
  passkeys,
  secondFactors,
  users,
];

export type MoveStep =
  | { phase: "draining"; waitSeconds: number }
  | { phase: "copying"; table: string; copied: number }
  | { phase: "switched" }
  | { phase: "abandoned" }
  | { phase: "purging"; shard: number; deleted: number }
  | { phase: "done" };

export interface MoveRequest {
  slug: string;
  toShard: number;
  drainSeconds: number;
}

/** One step of moving `slug` to shard `toShard`; `done` once it lives there and nothing is left elsewhere. */
export async function advanceMove(env: Bindings, config: Config, request: MoveRequest, now = new Date()): Promise<{ fromShard: number; step: MoveStep }> {
  const { slug, toShard } = request;
  if (toShard > config.shards.length) {
    throw validationFailed([{ path: "toShard", message: `This region has ${config.shards.length} shards` }]);
  }
  const home = await tenantDirectory(env).homeOf(slug);
  if (!home || home.region !== config.region) throw new AppError("tenant_not_found", { detail: `There is no tenant '${slug}' in this region` });
  const shardDb = (n: number) => databaseOf(shardBinding(config, n));
  const fromShard = home.shard;
  const source = shardDb(fromShard);
  const leaving = await findTenantBySlug(source, slug);
  if (!leaving) throw new Error(`tenant '${slug}' is not on shard ${fromShard}, where the directory says it is`);
  const movingTo = leaving.moveState === "leaving" ? leaving.movePeer : null;

  // What an earlier move left on other shards goes first (the directory sends nobody there), all but the
  // copy of the move under way.
  for (let n = 1; n <= config.shards.length; n++) {
    if (n === fromShard) continue;
    const other = await findTenantBySlug(shardDb(n), slug);
    if (!other || (n === movingTo && other.id === leaving.id && other.moveState !== "left")) continue;
    if (other.moveState === null) throw new Error(`tenant '${slug}' is live on shard ${n} too, not only on shard ${fromShard}`);
    return { fromShard: n, step: await purgeStep(shardDb(n), n, other) };
  }

  if (movingTo !== null && movingTo !== toShard) {
    if (toShard !== fromShard) {
      throw validationFailed(
        [{ path: "toShard", message: `A move of this tenant to shard ${movingTo} is under way: finish it, or move it to shard ${fromShard} to call it off` }],
        "Another move of this tenant is under way",
      );
    }
    // Moved "back" to where it is: the move is called off, the tenant writable again, its copy purged next.
    await source.update(tenants).set({ moveState: null, movePeer: null, moveStartedAt: null }).where(eq(tenants.id, leaving.id));
    return { fromShard, step: { phase: "abandoned" } };
  }
  if (fromShard === toShard) return { fromShard, step: { phase: "done" } };

  const target = shardDb(toShard);
  if (leaving.moveState === null) {
    await source
      .update(tenants)
      .set({ moveState: "leaving", movePeer: toShard, moveStartedAt: now })
      .where(and(eq(tenants.id, leaving.id), sql`${tenants.moveState} IS NULL`));
    return { fromShard, step: { phase: "draining", waitSeconds: request.drainSeconds } };
  }
  const drainedAt = leaving.moveStartedAt!.getTime() + request.drainSeconds * 1000;
  if (now.getTime() < drainedAt) return { fromShard, step: { phase: "draining", waitSeconds: Math.ceil((drainedAt - now.getTime()) / 1000) } };

  const arriving = await findTenantBySlug(target, slug);
  if (!arriving) {
    await target.insert(tenants).values({ ...leaving, moveState: "arriving", movePeer: fromShard, moveStartedAt: now, moveProgress: {} });
    return { fromShard, step: { phase: "copying", table: "tenants", copied: 1 } };
  }
  if (arriving.id !== leaving.id) throw new Error(`shard ${toShard} holds another tenant named '${slug}'`);
  if (arriving.moveState === "arriving") {
    const progress = arriving.moveProgress ?? {};
    const next = ownedTables.find((owned) => progress[owned.name] !== "done");
    if (next) return { fromShard, step: await copyStep(source, target, arriving, next, progress) };
    await target
      .update(tenants)
      .set({ moveState: null, movePeer: null, moveStartedAt: null, moveProgress: null })
      .where(and(eq(tenants.id, arriving.id), eq(tenants.moveState, "arriving")));
  }
  // The copy is live (here, or in an earlier step whose answer was lost): point the directory at it,
  // then tell isolates that remember the old shard to look again.
  await tenantDirectory(env).rehome(slug, config.region, fromShard, toShard);
  await source.update(tenants).set({ moveState: "left" }).where(eq(tenants.id, leaving.id));
  return { fromShard, step: { phase: "switched" } };
}

/** The JS keys of a table's columns, by column: rows come back keyed by them. */
function keyOf(table: SQLiteTable, column: AnySQLiteColumn): string {
  return Object.entries(getTableColumns(table)).find(([, candidate]) => candidate === column)![0];
}

function after(order: AnySQLiteColumn[], cursor: unknown[]): SQL {
  return sql`(${sql.join(order, sql`, `)}) > (${sql.join(cursor.map((value) => sql`${value}`), sql`, `)})`;
}

/** Copies the next chunk of `owned`'s rows of the tenant, and the progress with it, in one batch. */
async function copyStep(source: Database, target: Database, arriving: Tenant, owned: OwnedTable, progress: Record<string, unknown[] | "done">): Promise<MoveStep> {
  const cursor = progress[owned.name];
  const rows = (await source
    .select()
    .from(owned.table)
    .where(and(eq(owned.tenantId, arriving.id), Array.isArray(cursor) ? after(owned.order, cursor) : undefined))
    .orderBy(...owned.order.map((column) => asc(column)))
    .limit(MOVE_CHUNK)
    .all()) as Record<string, unknown>[];

  const last = rows.at(-1);
  const nextProgress = {
    ...progress,
    [owned.name]: rows.length < MOVE_CHUNK || !last ? ("done" as const) : owned.order.map((column) => column.mapToDriverValue(last[keyOf(owned.table, column)])),
  };
  const dropped = owned.renumbered && keyOf(owned.table, owned.renumbered);
  const copies = rows.map((row) => {
    if (!dropped) return row;
    const { [dropped]: _shardLocal, ...rest } = row;
    return rest;
  });
  const perStatement = Math.max(1, Math.floor(BOUND_VALUES_PER_STATEMENT / Object.keys(getTableColumns(owned.table)).length));
  const inserts = [];
  for (let i = 0; i < copies.length; i += perStatement) {
    inserts.push(target.insert(owned.table).values(copies.slice(i, i + perStatement)).onConflictDoNothing());
  }
  const saveProgress = target
    .update(tenants)
    .set({ moveProgress: nextProgress })
    .where(and(eq(tenants.id, arriving.id), eq(tenants.moveState, "arriving")));
  await target.batch([saveProgress, ...inserts]);
  return { phase: "copying", table: owned.name, copied: rows.length };
}

/**
 * Deletes the next chunk of the tenant's rows on a shard it has left (or of a copy that never arrived);
 * its row once nothing else is left.
 */
async function purgeStep(db: Database, shard: number, tenant: Tenant): Promise<MoveStep> {
  if (tenant.moveState === "leaving") {
    // Switched, but the old row was not yet told: stop serving it before deleting anything.
    await db.update(tenants).set({ moveState: "left" }).where(eq(tenants.id, tenant.id));
    return { phase: "purging", shard, deleted: 0 };
  }
  for (const table of purgedTables) {
    const tenantId = getTableColumns(table).tenantId as AnySQLiteColumn;
    const { meta } = await deleteSome(db, table, eq(tenantId, tenant.id), MOVE_CHUNK).run();
    if (meta.changes > 0) return { phase: "purging", shard, deleted: meta.changes };
  }
  await db.delete(tenants).where(and(eq(tenants.id, tenant.id), sql`${tenants.moveState} IN ('left', 'arriving')`));
  return { phase: "purging", shard, deleted: 1 };
}
