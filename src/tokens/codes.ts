import { and, eq, gt, isNull, lt } from "drizzle-orm";
import type { Database } from "../db/client";
import { authorizationCodes } from "../db/schema";
import { secretsEqual } from "../crypto/constant-time";
import { randomSecret, sha256 } from "../crypto/secrets";
import { revokeSession } from "./sessions";
import { deleteSome, type Pruner } from "../db/prune";

/** Codes are redeemed by the app within seconds; five minutes leaves room for a slow network. */
export const CODE_MS = 5 * 60_000;

/** RFC 7636: a code verifier is 43–128 characters of the unreserved set. */
export const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export interface CodeGrant {
  tenantId: string;
  clientId: string;
  redirectUri: string;
  userId: string;
  /** `password` or a provider name: carried into the session the code opens. */
  method: string;
  /** The app's PKCE S256 challenge. */
  codeChallenge: string;
  scope: string;
  nonce?: string | null;
}

/** A single-use authorization code bound to the app's PKCE challenge; only its hash is stored. */
export async function issueAuthorizationCode(db: Database, grant: CodeGrant, now = new Date()): Promise<string> {
  const code = randomSecret();
  await db.insert(authorizationCodes).values({
    ...grant,
    nonce: grant.nonce ?? null,
    codeHash: await sha256(code),
    createdAt: now,
    expiresAt: new Date(now.getTime() + CODE_MS),
  });
  return code;
}

export interface Redeem {
  code: string;
  tenantId: string;
  clientId: string;
  redirectUri: string;
  codeVerifier: string;
}

export type Redemption = { redeemed: true; grant: CodeGrant; sessionId: string } | { redeemed: false };

/**
 * Spends a code (one conditional UPDATE: of two concurrent redemptions one wins) and checks that it is
 * redeemed by the client it was issued to, with the same redirect URI and the PKCE verifier of its
 * challenge. The id of the session it will open is fixed in that same UPDATE, so a code presented a
 * second time, however soon, revokes that session (RFC 6749 §4.1.2). Any mismatch spends the code all
 * the same.
 */
export async function redeemAuthorizationCode(db: Database, redeem: Redeem, now = new Date()): Promise<Redemption> {
  const codeHash = await sha256(redeem.code);
  const sessionId = crypto.randomUUID();
  const spent = await db
    .update(authorizationCodes)
    .set({ usedAt: now, sessionId })
    .where(
      and(
        eq(authorizationCodes.codeHash, codeHash),
        eq(authorizationCodes.tenantId, redeem.tenantId),
        isNull(authorizationCodes.usedAt),
        gt(authorizationCodes.expiresAt, now),
      ),
    )
    .returning()
    .get();

  if (!spent) {
    const replayed = await db
      .select({ sessionId: authorizationCodes.sessionId })
      .from(authorizationCodes)
      .where(and(eq(authorizationCodes.codeHash, codeHash), eq(authorizationCodes.tenantId, redeem.tenantId)))
      .get();
    if (replayed?.sessionId) await revokeSession(db, replayed.sessionId, now);
    return { redeemed: false };
  }

  const verifierMatches =
    CODE_VERIFIER.test(redeem.codeVerifier) && (await secretsEqual(await sha256(redeem.codeVerifier), spent.codeChallenge));
  if (spent.clientId !== redeem.clientId || spent.redirectUri !== redeem.redirectUri || !verifierMatches) {
    return { redeemed: false };
  }
  return { redeemed: true, grant: spent, sessionId };
}

/** The scheduled clean-up's share: codes past their expiry, redeemed or not. */
export const pruneAuthorizationCodes: Pruner = (db, now, limit) =>
  [deleteSome(db, authorizationCodes, lt(authorizationCodes.expiresAt, now), limit)];
