import { eq } from "drizzle-orm";
import { findUserById } from "../accounts/queries";
import { commit, type Write } from "../db/batch";
import { users, type Tenant, type User } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError, describe } from "../http/errors";
import { admit } from "../policy/admission";
import { ACCESS_TOKEN_SECONDS, issuerOf, signAccessToken, signIdToken, type TokenSubject } from "./jwt";
import { OAuthError } from "../http/oauth-error";
import { allowedScope, idTokenAlgOf } from "./clients";
import type { SigningKeys } from "./keys";
import { openSession, rotateRefreshToken, scopeOfRefreshToken } from "./sessions";
import { passedSecondStep } from "../factors/amr";
import { isSecondStep } from "../factors/challenges";
import { factorRequired } from "../factors/policy";
import { secondFactorGate } from "../factors/gate";

/** RFC 6749 §5.1, plus `id_token` when the client asked for `openid`. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  scope: string;
  id_token?: string;
}

export interface SessionGrant {
  tenant: Tenant;
  user: User;
  clientId: string;
  /** `password` or a provider name. */
  method: string;
  scope: string;
  nonce?: string | null;
  /**
   * When the person authenticated (the ID token's `auth_time`, OpenID Connect Core §2): now, for a sign-in
   * that checks a credential; earlier when a browser session or an authorization code carries it.
   */
  authTime?: Date;
  /** The session's id when it was fixed in advance (by the authorization code it redeems). */
  sessionId?: string;
  /**
   * How the person authenticated (factors/amr.ts), when more is known than the method says: a second
   * factor passed, or what a code or a device's approval carries. Otherwise the method's own.
   */
  amr?: string[] | null;
  /** A "remember this device" token the client sent: it may skip the second step (factors/remembered.ts). */
  rememberToken?: string;
  /**
   * The sign-in's record (rule L), given the outcome's code: written with the session (null), or, when
   * the second step is owed, with `writes` and the code `mfa_required`.
   */
  attempt?: (code: string | null) => Write;
}

/**
 * Every sign-in ends here (MyQ credentials, registration, providers, authorization codes, devices, panels):
 * the user is admitted by rule P, rule M's gate asks for the second factor the person owes (factors/gate.ts:
 * then `401 mfa_required`, with the caller's `writes` and the attempt still written), a session is opened
 * (with the tenant's lifetime, and the request's IP and user agent), the user's `last_sign_in_at` is set,
 * and the first tokens are signed. `writes` are the caller's rows that must land with the session or not at
 * all (one D1 batch).
 */
export async function startSession(scope: Scope, grant: SessionGrant, writes: Write[] = []): Promise<TokenResponse> {
  const { granted, session } = await open(scope, grant, { kind: "session", seconds: null }, grant.tenant.sessionMaxSeconds, writes);
  return sign(scope, granted, session.sessionId, session.refreshToken);
}

/** What a printer's panel gets (issue 15): an access token for the whole of its short session, and no refresh token. */
export type PanelTokenResponse = Omit<TokenResponse, "refresh_token">;

/**
 * A panel's session: `startSession`, but it lasts `seconds` (the tenant's panel session time) and is
 * never renewed: its access token lives as long as the session, its refresh token is never handed out,
 * and the person signs in again at the panel after it.
 */
export async function startPanelSession(scope: Scope, grant: SessionGrant, seconds: number, writes: Write[]): Promise<PanelTokenResponse> {
  const { granted, session } = await open(scope, grant, { kind: "panel", seconds }, seconds, writes);
  return sign(scope, granted, session.sessionId, undefined, Math.min(seconds, ACCESS_TOKEN_SECONDS));
}

/** Rule P admits the user, rule M's gate passes them, then the session and the caller's `writes` are committed as one batch. */
async function open(scope: Scope, grant: SessionGrant, opening: Parameters<typeof secondFactorGate>[2], maxSeconds: number, writes: Write[]) {
  admit(grant.tenant, grant.user);
  const now = new Date();
  const recorded = (code: string | null) => (grant.attempt ? [grant.attempt(code)] : []);
  let amr: string[];
  try {
    amr = await secondFactorGate(scope, { ...grant, authTime: grant.authTime ?? now }, opening);
  } catch (error) {
    if (isSecondStep(error)) await commit(scope.db, [...writes, ...recorded("mfa_required")]);
    throw error;
  }
  const granted = {
    ...grant,
    scope: allowedScope(scope.config, grant.clientId, grant.scope),
    authTime: grant.authTime ?? now,
    amr,
  };
  const session = await openSession(scope.db, await scope.config.signingKeys(), {
    id: grant.sessionId,
    tenantId: grant.tenant.id,
    userId: grant.user.id,
    clientId: grant.clientId,
    method: grant.method,
    scope: granted.scope,
    authTime: granted.authTime,
    amr: granted.amr,
    maxSeconds,
    meta: scope.meta,
  }, now);
  const signedInNow = scope.db.update(users).set({ lastSignInAt: now }).where(eq(users.id, grant.user.id));
  await commit(scope.db, [...writes, ...recorded(null), ...session.writes, signedInNow]);
  return { granted, session };
}

/**
 * RFC 6749 §6: a refresh may ask for less than its session was granted, never more (`invalid_scope`),
 * checked before the token is spent. A token that names no session of this tenant is the rotation's to
 * refuse (`invalid_grant`).
 */
async function refuseWiderScope(scope: Scope, keys: SigningKeys, tenantId: string, refreshToken: string, requested: string) {
  const held = await scopeOfRefreshToken(scope.db, keys, tenantId, refreshToken);
  if (held === undefined) return;
  const granted = new Set(held.split(" "));
  if (!requested.split(" ").every((token) => granted.has(token))) {
    throw new OAuthError("invalid_scope", "The scope asked for is wider than the session's");
  }
}

/**
 * The refresh grant: rotates the refresh token, re-admits the user, signs new tokens for the same session,
 * within what the client may be granted today.
 */
export async function renewSession(
  scope: Scope,
  refresh: { tenant: Tenant; clientId: string; refreshToken: string; scope?: string },
): Promise<TokenResponse> {
  const keys = await scope.config.signingKeys();
  if (refresh.scope !== undefined) await refuseWiderScope(scope, keys, refresh.tenant.id, refresh.refreshToken, refresh.scope);
  const rotation = await rotateRefreshToken(scope.db, keys, {
    token: refresh.refreshToken,
    tenantId: refresh.tenant.id,
    clientId: refresh.clientId,
    reuseSeconds: refresh.tenant.refreshReuseSeconds,
    timeouts: refresh.tenant,
  });
  if (!rotation.rotated) {
    throw new OAuthError(
      "invalid_grant",
      rotation.reused
        ? "The refresh token was already used: its session has been revoked"
        : "The refresh token is not valid, expired, or not for this client",
    );
  }
  const user = await findUserById(scope.db, refresh.tenant.id, rotation.userId);
  if (!user) throw new OAuthError("invalid_grant", "The session's user no longer exists");
  try {
    admit(refresh.tenant, user);
  } catch (error) {
    if (error instanceof AppError) throw new OAuthError("invalid_grant", describe(error));
    throw error;
  }
  // Rule M: a session opened before the tenant required a second factor of this person is not renewed without one.
  if (factorRequired(refresh.tenant, user) && !passedSecondStep(rotation.amr)) {
    throw new OAuthError("invalid_grant", "A second factor is now required: sign in again");
  }
  const grant = {
    tenant: refresh.tenant,
    user,
    clientId: refresh.clientId,
    // The narrower scope asked for, if any, for these tokens only: the session keeps its own for the next refresh.
    scope: allowedScope(scope.config, refresh.clientId, refresh.scope ?? rotation.scope),
    authTime: rotation.authTime,
    amr: rotation.amr,
  };
  return sign(scope, grant, rotation.sessionId, rotation.refreshToken);
}

async function sign(
  scope: Scope,
  grant: Omit<SessionGrant, "method" | "authTime"> & { authTime: Date },
  sessionId: string,
  refreshToken: string,
): Promise<TokenResponse>;
async function sign(
  scope: Scope,
  grant: Omit<SessionGrant, "method" | "authTime"> & { authTime: Date },
  sessionId: string,
  refreshToken: undefined,
  accessSeconds: number,
): Promise<PanelTokenResponse>;
async function sign(
  scope: Scope,
  grant: Omit<SessionGrant, "method" | "authTime"> & { authTime: Date },
  sessionId: string,
  refreshToken: string | undefined,
  accessSeconds = ACCESS_TOKEN_SECONDS,
): Promise<TokenResponse | PanelTokenResponse> {
  const keys = await scope.config.signingKeys();
  const subject: TokenSubject = {
    issuer: issuerOf(scope.config, grant.tenant),
    config: scope.config,
    tenant: grant.tenant,
    user: grant.user,
    sessionId,
    clientId: grant.clientId,
  };
  const wantsIdToken = grant.scope.split(" ").includes("openid");
  const [accessToken, idToken] = await Promise.all([
    signAccessToken(keys, subject, grant.scope, accessSeconds),
    wantsIdToken
      ? signIdToken(keys, subject, { scope: grant.scope, nonce: grant.nonce, authTime: grant.authTime, amr: grant.amr, alg: idTokenAlgOf(scope.config, grant.clientId) })
      : undefined,
  ]);
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: accessSeconds,
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    scope: grant.scope,
    ...(idToken ? { id_token: idToken } : {}),
  };
}
