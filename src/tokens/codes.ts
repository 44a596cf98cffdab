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
  /**
   * The client's PKCE S256 challenge: required of a public client; null only for a confidential client
   * that sent none, whose secret then authenticates the redemption.
   */
  codeChallenge: string | null;
  scope: string;
  nonce?: string | null;
  /** When the person authenticated (the ID token's `auth_time`); now unless a browser session says earlier. */
  authTime?: Date;
  /** How the person authenticated (factors/amr.ts), carried into the session the code opens. */
  amr?: string[] | null;
}

/** A single-use authorization code bound to the client's PKCE challenge; only its hash is stored. */
export async function issueAuthorizationCode(db: Database, grant: CodeGrant, now = new Date()): Promise<string> {
  const code = randomSecret();
  await db.insert(authorizationCodes).values({
    ...grant,
    nonce: grant.nonce ?? null,
    authTime: grant.authTime ?? now,
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
  codeVerifier?: string;
  /** Whether the client proved itself with its secret (a confidential client), not only named itself. */
  clientAuthenticated: boolean;
}

export type Redemption = { redeemed: true; grant: CodeGrant & { authTime: Date }; sessionId: string } | { redeemed: false };

/**
 * PKCE at redemption (RFC 7636 §4.6): a code with a challenge needs the verifier of that challenge. A code
 * without one (a confidential client's) needs the client's secret instead, and no verifier: a verifier sent
 * for a code that has no challenge is refused, as RFC 9700 §2.1.1 asks against PKCE downgrade.
 */
async function proofMatches(codeChallenge: string | null, redeem: Redeem): Promise<boolean> {
  if (codeChallenge === null) return redeem.clientAuthenticated && redeem.codeVerifier === undefined;
  const verifier = redeem.codeVerifier ?? "";
  return CODE_VERIFIER.test(verifier) && (await secretsEqual(await sha256(verifier), codeChallenge));
}

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

  if (spent.clientId !== redeem.clientId || spent.redirectUri !== redeem.redirectUri || !(await proofMatches(spent.codeChallenge, redeem))) {
    return { redeemed: false };
  }
  // A code older than its auth_time column was issued by the sign-in itself.
  return { redeemed: true, grant: { ...spent, authTime: spent.authTime ?? spent.createdAt }, sessionId };
}

/** The scheduled clean-up's share: codes past their expiry, redeemed or not. */
export const pruneAuthorizationCodes: Pruner = (db, now, limit) =>
  [deleteSome(db, authorizationCodes, lt(authorizationCodes.expiresAt, now), limit)];
