// D1 rows the tests count, or put straight in where no route writes them.
import { drizzle } from "drizzle-orm/d1";
import { usedIdTokens } from "../../src/db/schema";
import type { Region } from "./regions";

/** The `n` of a `SELECT count(*) AS n …` in the region's D1. */
export async function countOf(region: Region, sql: string, ...params: unknown[]): Promise<number> {
  return (await region.db.prepare(sql).bind(...params).first<{ n: number }>())?.n ?? 0;
}

/** The user's sessions, live or not. */
export function sessionCount(region: Region, userId: string): Promise<number> {
  return countOf(region, "SELECT count(*) AS n FROM sessions WHERE user_id = ?", userId);
}

/** Marks provider ID tokens as used (by their hash) until `expiresAt`, through the schema. */
export async function seedUsedIdTokens(region: Region, tokens: { tokenHash: string; expiresAt: number }[]) {
  await drizzle(region.db)
    .insert(usedIdTokens)
    .values(tokens.map(({ tokenHash, expiresAt }) => ({ tokenHash, expiresAt: new Date(expiresAt) })));
}
