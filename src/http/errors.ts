/**
 * The contract's error codes (../shared/API.md, "Error codes") and the HTTP status each one answers with.
 * `unsupported_media_type` and `payload_too_large` are additions to the contract for bodies the service
 * refuses before reading them; `email_unverified` and `password_change_required` for accounts that must
 * prove their address or change an admin's temporary password first (issue 14); `invalid_client`,
 * `pin_required` and `card_taken` for the sign-in at a printer's panel (issue 15); `mfa_required` for a
 * sign-in or change that waits for a second factor (issue 16; the problem carries `mfaToken` and `factors`).
 */
export const errorStatus = {
  validation_failed: 400,
  invalid_credentials: 401,
  unauthorized: 401,
  invalid_client: 401,
  pin_required: 401,
  mfa_required: 401,
  forbidden: 403,
  account_inactive: 403,
  account_pending_activation: 403,
  registration_disabled: 403,
  tenant_disabled: 403,
  email_unverified: 403,
  password_change_required: 403,
  external_auth_unavailable_for_existing_account: 409,
  tenant_not_found: 404,
  not_found: 404,
  account_exists: 409,
  username_taken: 409,
  tenant_exists: 409,
  card_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  account_locked: 429,
  rate_limited: 429,
  internal_error: 500,
  provider_error: 502,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The generic, client-facing summary of each code: never carries internal details. */
export const errorTitle: Record<ErrorCode, string> = {
  validation_failed: "The request is not valid",
  invalid_credentials: "The login or password is not correct",
  unauthorized: "A valid access token is required",
  invalid_client: "The device's client credentials are not valid",
  pin_required: "The card's holder must type their PIN as well",
  mfa_required: "A second factor is required",
  forbidden: "You are not allowed to do this",
  account_inactive: "The account is not active",
  account_pending_activation: "The account awaits activation by an administrator",
  registration_disabled: "This tenant does not allow users to register",
  tenant_disabled: "The tenant is disabled",
  email_unverified: "The e-mail address is not confirmed yet",
  password_change_required: "The password must be changed before signing in",
  external_auth_unavailable_for_existing_account:
    "External authentication is not available for existing accounts",
  tenant_not_found: "No such tenant",
  not_found: "Not found",
  account_exists: "An account with this e-mail or username already exists",
  username_taken: "The username is taken",
  tenant_exists: "A tenant with this name already exists",
  card_taken: "This card is already registered in this tenant",
  payload_too_large: "The request body is too large",
  unsupported_media_type: "The request body has an unsupported content type",
  account_locked: "Too many failed attempts: the account is locked for a while",
  rate_limited: "Too many requests",
  internal_error: "Something went wrong on our side",
  provider_error: "The identity provider could not be reached or answered with an error",
  unavailable: "The service is temporarily unavailable",
};

export interface FieldError {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  /** Client-facing explanation of this occurrence. */
  detail?: string;
  /** For `validation_failed`: which fields are wrong and why. */
  errors?: FieldError[];
  /** Extra members of the problem document that the contract names (e.g. `region` of a tenant's home). */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Why it happened, for the log only: never sent to the client. */
  internal?: string;
}

/** Every expected failure leaves a handler as one of these; `src/http/problem.ts` turns it into a response. */
export class AppError extends Error {
  readonly status: (typeof errorStatus)[ErrorCode];

  constructor(
    readonly code: ErrorCode,
    readonly options: AppErrorOptions = {},
  ) {
    super(options.internal ?? options.detail ?? code);
    this.name = "AppError";
    this.status = errorStatus[code];
  }

  get title(): string {
    return errorTitle[this.code];
  }
}

/** What a person or an app may be shown of an error: its detail, else its code's title; a sentence. */
export function describe(error: AppError): string {
  return asSentence(error.options.detail ?? errorTitle[error.code]);
}

/** Texts shown to people end as sentences do. */
export function asSentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
