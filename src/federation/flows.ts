import { and, eq, gt, lt } from "drizzle-orm";
import type { Database } from "../db/client";
import { oauthFlows } from "../db/schema";
import { randomSecret, sha256 } from "../crypto/secrets";
import { deleteSome, type Pruner } from "../db/prune";

/** How long a person may spend at the provider between /authorize and the callback. */
export const FLOW_MS = 10 * 60_000;

export type Flow = typeof oauthFlows.$inferSelect;
export type NewFlow = Omit<Flow, "stateHash" | "codeVerifier" | "nonce" | "createdAt" | "expiresAt">;

/** Starts a flow: fresh `state`, PKCE verifier and nonce towards the provider; only the state's hash is the key. */
export async function startFlow(db: Database, flow: NewFlow, now = new Date()) {
  const state = randomSecret();
  const codeVerifier = randomSecret();
  const nonce = randomSecret();
  await db.insert(oauthFlows).values({
    ...flow,
    stateHash: await sha256(state),
    codeVerifier,
    nonce,
    createdAt: now,
    expiresAt: new Date(now.getTime() + FLOW_MS),
  });
  return { state, codeVerifier, nonce };
}

/** Ends a flow and returns it: one DELETE, so a replayed or expired `state` finds nothing. */
export async function takeFlow(db: Database, provider: Flow["provider"], state: string, now = new Date()) {
  return db
    .delete(oauthFlows)
    .where(and(eq(oauthFlows.stateHash, await sha256(state)), eq(oauthFlows.provider, provider), gt(oauthFlows.expiresAt, now)))
    .returning()
    .get();
}

/** The scheduled clean-up's share: flows nobody came back to before their expiry. */
export const pruneFlows: Pruner = (db, now, limit) => [deleteSome(db, oauthFlows, lt(oauthFlows.expiresAt, now), limit)];
