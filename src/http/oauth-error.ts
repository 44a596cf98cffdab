import { AppError, asSentence, describe } from "./errors";

/**
 * The token and revocation endpoints answer errors as RFC 6749 §5.2 says, `{ error, error_description }`,
 * not as problem+json: OAuth client libraries parse this shape.
 */
export const oauthErrorStatus = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  unauthorized_client: 400,
  // RFC 8628 §3.5: the device grant's answers to a poll.
  authorization_pending: 400,
  slow_down: 400,
  access_denied: 400,
  expired_token: 400,
} as const;

export type OAuthErrorCode = keyof typeof oauthErrorStatus;

function oauthJson(status: number, error: string, description: string, headers: Record<string, string> = {}, more: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ error, error_description: asSentence(description), ...more }), {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
  });
}

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "OAuthError";
  }

  get status(): number {
    return oauthErrorStatus[this.error];
  }

  toResponse(): Response {
    return oauthJson(this.status, this.error, this.description);
  }
}

/**
 * Any other error of an OAuth endpoint in the RFC 6749 shape: the service's state is RFC 6749's
 * `server_error` / `temporarily_unavailable`, the contract's `rate_limited` keeps its name (429, with
 * Retry-After), a body refused unread keeps its HTTP status (413, 415), and every other refusal of the
 * request (an unknown or disabled tenant, a malformed one) is `400 invalid_request` as §5.2 says, its
 * description saying which.
 */
export function oauthResponse(error: AppError): Response {
  const { headers } = error.options;
  if (error.code === "unavailable") return oauthJson(503, "temporarily_unavailable", describe(error), headers);
  if (error.code === "internal_error") return oauthJson(500, "server_error", describe(error), headers);
  if (error.code === "rate_limited") return oauthJson(429, "rate_limited", describe(error), headers);
  // Issue 16: a code or device grant whose person owes a second factor, as Auth0's token endpoint says it:
  // 403 `mfa_required` with `mfa_token` (and the person's `factors`), finished at POST /sign-in/mfa.
  if (error.code === "mfa_required") {
    const { mfaToken, factors, enrol } = error.options.extensions ?? {};
    return oauthJson(403, "mfa_required", describe(error), headers, { mfa_token: mfaToken, factors, enrol });
  }
  const status = error.status === 413 || error.status === 415 ? error.status : 400;
  return oauthJson(status, "invalid_request", describe(error), headers);
}
