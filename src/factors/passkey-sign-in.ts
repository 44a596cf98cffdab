import type * as v from "valibot";
import { findUserById } from "../accounts/queries";
import { requireConfirmedEmail } from "../accounts/email-verification";
import { recordAttempt } from "../audit/attempts";
import { commit } from "../db/batch";
import type { Tenant, User } from "../db/schema";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import { admit } from "../policy/admission";
import { startSession, type TokenResponse } from "../tokens/issue";
import { authenticationOptions, challengeOf, consumeWebauthnChallenge, verifyPasskeyAssertion, type UserVerification } from "./passkeys";
import type { AuthenticationResponse } from "./webauthn-json";

export interface PasskeySignIn {
  /** The assertion as the routes take it (webauthn-json.ts): `PublicKeyCredential.toJSON()` after get(). */
  response: v.InferOutput<typeof AuthenticationResponse>;
  clientId: string;
  scope: string;
}

/** A passkey that signs in alone must have verified its person itself (PIN, biometrics): asked in its options, checked in its assertion. */
const SIGN_IN_VERIFICATION: UserVerification = "required";

/**
 * The options of a sign-in with a passkey alone, for the JSON API and the hosted page alike: any
 * discoverable passkey of this site (no person is known yet), with its person's verification.
 */
export function signInWithPasskeyOptions(scope: Scope, tenant: Tenant) {
  return authenticationOptions(scope.db, scope.config, tenant, { userId: null, userVerification: SIGN_IN_VERIFICATION });
}

/**
 * A passkey alone signs its person in (issue 16): the assertion must answer a sign-in challenge of this
 * tenant, open and spent now, and be verified with the person's verification (a PIN or biometrics on the
 * authenticator), which makes it two factors in one (`amr` hwk, user, mfa). A passkey unknown to the tenant,
 * a wrong signature, a used or expired challenge and a counter gone back are answered alike; rule P and
 * rule E refusals come after a valid passkey, and are said. Every attempt is recorded (rule L): the
 * person's username as its login, or the credential's id when no person of the tenant holds it.
 */
export async function signInWithPasskey(scope: Scope, tenant: Tenant, input: PasskeySignIn): Promise<TokenResponse> {
  const { db, config } = scope;
  const attempt = (user: User | undefined, code: string | null) =>
    recordAttempt(
      db,
      { tenantId: tenant.id, at: new Date(), login: user?.username ?? input.response.id, userId: user?.id ?? null, code, method: "passkey", clientId: input.clientId },
      scope.meta,
    );
  const refuse = async (refusal: AppError, user?: User): Promise<never> => {
    await commit(db, [attempt(user, refusal.code)]);
    throw refusal;
  };

  const challenge = challengeOf(input.response);
  const proven =
    challenge !== undefined && (await consumeWebauthnChallenge(db, tenant.id, challenge, "authenticate", null))
      ? await verifyPasskeyAssertion(db, config, tenant, input.response, { challenge, userVerification: SIGN_IN_VERIFICATION })
      : undefined;
  const user = proven && (await findUserById(db, tenant.id, proven.userId));
  if (!user) {
    return refuse(
      new AppError("invalid_credentials", { detail: "The passkey cannot sign in here, or its challenge is used or expired: ask for new options" }),
    );
  }
  try {
    admit(tenant, user);
    requireConfirmedEmail(tenant, user);
    return await startSession(scope, { tenant, user, clientId: input.clientId, method: "passkey", scope: input.scope }, [attempt(user, null)]);
  } catch (error) {
    // Rule P (a deactivated person, one awaiting activation) or rule E: the passkey was right, the refusal is said.
    if (error instanceof AppError) return refuse(error, user);
    throw error;
  }
}
