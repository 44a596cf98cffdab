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

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "OAuthError";
  }

  toResponse(): Response {
    return new Response(JSON.stringify({ error: this.error, error_description: this.description }), {
      status: oauthErrorStatus[this.error],
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    });
  }
}
