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
} as const;

export type OAuthErrorCode = keyof typeof oauthErrorStatus;

function oauthJson(status: number, error: string, description: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error, error_description: asSentence(description) }), {
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
 * Any other error of an OAuth endpoint in the RFC 6749 shape, with its own status and headers: the
 * service's state is RFC 6749's `server_error` / `temporarily_unavailable`, the contract's `rate_limited`
 * keeps its name (with Retry-After), and every other refusal of the request (a body, a tenant) is
 * `invalid_request`, its description saying which.
 */
export function oauthResponse(error: AppError): Response {
  const code =
    error.code === "unavailable"
      ? "temporarily_unavailable"
      : error.code === "internal_error"
        ? "server_error"
        : error.code === "rate_limited"
          ? "rate_limited"
          : "invalid_request";
  return oauthJson(error.status, code, describe(error), error.options.headers);
}
