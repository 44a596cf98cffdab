import { and, eq, gt, lt } from "drizzle-orm";
import type { Database } from "../db/client";
import { oauthFlows } from "../db/schema";
import { randomSecret, sha256 } from "../crypto/secrets";
import { deleteSome, type Pruner } from "../db/prune";

/** How long a person may spend at the provider between /authorize and the callback. */
export const FLOW_MS = 10 * 60_000;

export type Flow = typeof oauthFlows.$inferSelect;
export type NewFlow = Omit<Flow, "stateHash" | "codeVerifier" | "nonce" | "createdAt" | "expiresAt">;

/**
 * The `state` sent to the provider names the tenant before its secret part, `{tenant}.{secret}`: the
 * callback is one per region, and the tenant says which shard holds the flow (a tenant's name has no dot).
 */
export function tenantOfState(state: string): string {
  return state.slice(0, Math.max(0, state.indexOf(".")));
}

/** Starts a flow: fresh `state`, PKCE verifier and nonce towards the provider; only the state's hash is the key. */
export async function startFlow(db: Database, slug: string, flow: NewFlow, now = new Date()) {
  const state = `${slug}.${randomSecret()}`;
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

/** Ends a flow of the tenant and returns it: one DELETE, so a replayed or expired `state` finds nothing. */
export async function takeFlow(db: Database, tenantId: string, provider: Flow["provider"], state: string, now = new Date()) {
  return db
    .delete(oauthFlows)
    .where(
      and(
        eq(oauthFlows.stateHash, await sha256(state)),
        eq(oauthFlows.tenantId, tenantId),
        eq(oauthFlows.provider, provider),
        gt(oauthFlows.expiresAt, now),
      ),
    )
    .returning()
    .get();
}

/** The scheduled clean-up's share: flows nobody came back to before their expiry. */
export const pruneFlows: Pruner = (db, now, limit) => [deleteSome(db, oauthFlows, lt(oauthFlows.expiresAt, now), limit)];
