import { findUserById } from "../accounts/queries";
import { recordAttempt } from "../audit/attempts";
import { commit } from "../db/batch";
import { isSecondStep } from "../factors/challenges";
import type { Tenant } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError, describe } from "../http/errors";
import { OAuthError } from "../http/oauth-error";
import { startSession, type TokenResponse } from "../tokens/issue";
import { pollAuthorization } from "./authorizations";
import type { DeviceClient } from "./device-clients";

/** The grant_type of RFC 8628 §3.4. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

const pollErrors = {
  authorization_pending: "The person has not answered yet: poll again after the interval",
  slow_down: "Polled sooner than the interval: wait 5 seconds more between polls from now on",
  access_denied: "The person denied the request",
  expired_token: "The device code has expired: start again",
  invalid_grant: "The device code is not valid, already used, or not this device's",
} as const;

/**
 * RFC 8628 §3.4–3.5 at the token endpoint: the device's poll, answered with the person's decision, or
 * once approved with a session of the device as the person (rule P admits them now, as at every later
 * refresh). The approval is single-use: the next poll is `invalid_grant`.
 */
export async function deviceCodeGrant(scope: Scope, tenant: Tenant, device: DeviceClient, deviceCode: string): Promise<TokenResponse> {
  const poll = await pollAuthorization(scope.db, tenant.id, device.id, deviceCode);
  if (poll.verdict !== "approved") throw new OAuthError(poll.verdict, pollErrors[poll.verdict]);
  const { authorization } = poll;
  const user = await findUserById(scope.db, tenant.id, authorization.userId);
  if (!user) throw new OAuthError("invalid_grant", "The approving person no longer exists");
  // Rule L: the device's sign-in as the person is an attempt like any other, with the device's name as its login.
  const attempt = (code: string | null) =>
    recordAttempt(scope.db, { tenantId: tenant.id, at: new Date(), login: device.name, userId: user.id, code, method: "device", clientId: device.id }, scope.meta);
  try {
    return await startSession(scope, { tenant, user, clientId: device.id, method: "device", scope: authorization.scope, amr: authorization.amr, attempt });
  } catch (error) {
    // The person owes a second factor their approval did not carry (the policy changed since): they approve again.
    if (isSecondStep(error)) {
      throw new OAuthError("invalid_grant", "The approval carried no second factor, which the person now owes: approve again from a session that passed it");
    }
    // Rule P refused the person since they approved (deactivated meanwhile, the tenant disabled): no tokens.
    if (error instanceof AppError) {
      await commit(scope.db, [attempt(error.code)]);
      throw new OAuthError("invalid_grant", describe(error));
    }
    throw error;
  }
}
