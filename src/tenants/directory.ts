import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../config";

/**
 * The global tenant directory: slug → home (region, and the shard of that region's D1 databases), and
 * nothing else (no personal data).
 *
 * One SQLite-backed Durable Object instance serves every region. A Durable Object runs one method at a
 * time and these methods never await, so a claim is atomic: of many regions or requests claiming one
 * slug at once, exactly one wins. KV could not promise that (it is eventually consistent).
 */
export type Claim = { claimed: true; token: string } | { claimed: false; region: string };

/** Where a tenant lives: its region, and which of that region's D1 databases (1 = `DB`, n = `DB_n`). */
export interface Home {
  region: string;
  shard: number;
}

/**
 * A creation that claimed a slug and then vanished (its Worker evicted between the claim and the D1
 * write) leaves a claim with no tenant behind it; after this long its own region may claim it again.
 */
export const ABANDONED_CLAIM_MS = 5 * 60_000;

export class TenantDirectory extends DurableObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS homes (
      slug TEXT PRIMARY KEY,
      region TEXT NOT NULL,
      claim_token TEXT NOT NULL,
      claimed_at INTEGER NOT NULL,
      shard INTEGER NOT NULL DEFAULT 1
    )`);
    // Directories made before regions had shards: every tenant then lived in the region's first one.
    const columns = this.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('homes')").toArray();
    if (!columns.some((column) => column.name === "shard")) {
      this.sql.exec("ALTER TABLE homes ADD COLUMN shard INTEGER NOT NULL DEFAULT 1");
    }
  }

  /**
   * Claims `slug` for `region`. The caller has already seen that its region has no such tenant, so a
   * claim its own region made long ago is an abandoned one and is handed over with a new token (and the
   * shard the new creation chose).
   */
  claim(slug: string, region: string, shard = 1): Claim {
    const now = Date.now();
    const held = this.sql
      .exec<{ region: string; claimed_at: number }>("SELECT region, claimed_at FROM homes WHERE slug = ?", slug)
      .toArray()[0];
    if (held && !(held.region === region && now - held.claimed_at > ABANDONED_CLAIM_MS)) {
      return { claimed: false, region: held.region };
    }
    const token = crypto.randomUUID();
    this.sql.exec(
      `INSERT INTO homes (slug, region, claim_token, claimed_at, shard) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (slug) DO UPDATE SET claim_token = excluded.claim_token, claimed_at = excluded.claimed_at,
         shard = excluded.shard`,
      slug,
      region,
      token,
      now,
      shard,
    );
    return { claimed: true, token };
  }

  /** Gives a slug back after the tenant could not be written; only the claim's own token can. */
  release(slug: string, token: string): void {
    this.sql.exec("DELETE FROM homes WHERE slug = ? AND claim_token = ?", slug, token);
  }

  /** Where a slug lives, or null when no region has it. */
  homeOf(slug: string): Home | null {
    return this.sql.exec<{ region: string; shard: number }>("SELECT region, shard FROM homes WHERE slug = ?", slug).toArray()[0] ?? null;
  }

  /**
   * Points a tenant at another shard of its region, at the end of a move (tenants/move.ts); only from the
   * shard it is known to be on, so that two movers cannot both switch it. True when it now names `to`.
   */
  rehome(slug: string, region: string, from: number, to: number): boolean {
    this.sql.exec("UPDATE homes SET shard = ? WHERE slug = ? AND region = ? AND shard = ?", to, slug, region, from);
    return this.homeOf(slug)?.shard === to;
  }
}

/** The one directory instance, from any region. */
export function tenantDirectory(env: Bindings) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("global"));
}
