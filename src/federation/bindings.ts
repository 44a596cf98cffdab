/** The Worker vars and secrets that configure the external providers (README: "Sign in with …"). */
export interface ProviderBindings {
  APPLE_CLIENT_ID?: string;
  APPLE_TEAM_ID?: string;
  APPLE_KEY_ID?: string;
  /** Secret: PKCS#8 PEM of the Sign in with Apple key. */
  APPLE_PRIVATE_KEY?: string;
  APPLE_NATIVE_CLIENT_IDS?: string;
  APPLE_ISSUER?: string;
  APPLE_AUTHORIZATION_ENDPOINT?: string;
  APPLE_TOKEN_ENDPOINT?: string;
  APPLE_JWKS_URI?: string;

  GOOGLE_CLIENT_ID?: string;
  /** Secret. */
  GOOGLE_CLIENT_SECRET?: string;
  GOOGLE_NATIVE_CLIENT_IDS?: string;
  GOOGLE_ISSUER?: string;
  GOOGLE_AUTHORIZATION_ENDPOINT?: string;
  GOOGLE_TOKEN_ENDPOINT?: string;
  GOOGLE_JWKS_URI?: string;

  MICROSOFT_CLIENT_ID?: string;
  /** Secret. */
  MICROSOFT_CLIENT_SECRET?: string;
  MICROSOFT_NATIVE_CLIENT_IDS?: string;
  MICROSOFT_WORK_TENANT?: string;
  MICROSOFT_PERSONAL_TENANT?: string;
  /** May contain `{tenantid}`, replaced by the token's `tid`. */
  MICROSOFT_ISSUER?: string;
  /** These three may contain `{tenant}`, replaced by the account kind's directory (organizations, consumers). */
  MICROSOFT_AUTHORIZATION_ENDPOINT?: string;
  MICROSOFT_TOKEN_ENDPOINT?: string;
  MICROSOFT_JWKS_URI?: string;
}
