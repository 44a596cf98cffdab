import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../config";

/**
 * The global tenant directory: slug → home region, and nothing else (no personal data).
 *
 * One SQLite-backed Durable Object instance serves every region. A Durable Object runs one method at a
 * time and these methods never await, so a claim is atomic: of many regions or requests claiming one
 * slug at once, exactly one wins. KV could not promise that (it is eventually consistent).
 */
export type Claim = { claimed: true; token: string } | { claimed: false; region: string };

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
      claimed_at INTEGER NOT NULL
    )`);
  }

  /**
   * Claims `slug` for `region`. The caller has already seen that its region has no such tenant, so a
   * claim its own region made long ago is an abandoned one and is handed over with a new token.
   */
  claim(slug: string, region: string): Claim {
    const now = Date.now();
    const held = this.sql
      .exec<{ region: string; claimed_at: number }>("SELECT region, claimed_at FROM homes WHERE slug = ?", slug)
      .toArray()[0];
    if (held && !(held.region === region && now - held.claimed_at > ABANDONED_CLAIM_MS)) {
      return { claimed: false, region: held.region };
    }
    const token = crypto.randomUUID();
    this.sql.exec(
      `INSERT INTO homes (slug, region, claim_token, claimed_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (slug) DO UPDATE SET claim_token = excluded.claim_token, claimed_at = excluded.claimed_at`,
      slug,
      region,
      token,
      now,
    );
    return { claimed: true, token };
  }

  /** Gives a slug back after the tenant could not be written; only the claim's own token can. */
  release(slug: string, token: string): void {
    this.sql.exec("DELETE FROM homes WHERE slug = ? AND claim_token = ?", slug, token);
  }

  /** The region a slug lives in, or null when no region has it. */
  homeOf(slug: string): string | null {
    return (
      this.sql.exec<{ region: string }>("SELECT region FROM homes WHERE slug = ?", slug).toArray()[0]?.region ??
      null
    );
  }
}

/** The one directory instance, from any region. */
export function tenantDirectory(env: Bindings) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("global"));
}
