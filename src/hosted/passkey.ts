/**
 * A passkey alone on the hosted sign-in page (issue 16): "Sign in with a passkey", or a passkey chosen
 * among the login field's suggestions (conditional mediation), both driven by the passkey script. Its
 * options ask for any passkey of this site, verified by its person; the assertion signs in through the
 * API's own function (factors/passkey-sign-in.ts: the challenge spent, the passkey verified, rule L's
 * records, rule P and E, then the session opened with the method `passkey`, whose `amr` is hwk, user,
 * mfa), then the request gets its code as a password's would.
 */
import type { Context } from "hono";
import { signInWithPasskey, signInWithPasskeyOptions } from "../factors/passkey-sign-in";
import { AuthenticationResponse } from "../factors/webauthn-json";
import { scopeOf, type AppEnv } from "../http/context";
import { accountOf, authorizePath, pageErrorOf, signInPage } from "./authorize";
import type { AuthorizationRequest } from "./authorization-request";
import { HOSTED_CLIENT_ID } from "./browser-session";
import { field, jsonOf } from "./forms";
import { optionsAnswer } from "./passkey-options";
import { signInOnPage } from "./password";
import { STEP_FIELDS } from "./pending-step";

/** Where the sign-in page's passkey form asks for its options, and where it posts the assertion. */
export const passkeySignInPaths = (slug: string) => {
  const base = `${authorizePath({ slug })}/passkey`;
  return { options: `${base}/options`, answer: base };
};

/** POST /authorize/passkey/options: the options of a sign-in with a passkey alone, for the script. */
export function passkeySignInOptionsOnPage(c: Context<AppEnv>): Promise<Response> {
  return optionsAnswer(c, () => signInWithPasskeyOptions(scopeOf(c), c.var.tenant));
}

/**
 * POST /authorize/passkey: the assertion (its JSON, as the script posts it). An unusable answer, and
 * every refusal of the passkey (unknown here, wrong signature, challenge used or expired), is the sign-in
 * page again saying the passkey could not be used; rule P and E refusals are said as a password's are.
 */
export async function passkeySignIn(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  const { tenant } = c.var;
  const account = accountOf(tenant, form);
  const response = jsonOf(field(form, STEP_FIELDS.webauthnResponse), AuthenticationResponse);
  if (!response) return signInPage(c, request, { account, status: 400, error: { code: "passkey_refused" } });
  return signInOnPage(
    c,
    request,
    { account, method: "passkey" },
    () => signInWithPasskey(scopeOf(c), tenant, { response, clientId: HOSTED_CLIENT_ID, scope: "openid" }),
    (error) => (error.code === "invalid_credentials" ? { code: "passkey_refused" } : pageErrorOf(error)),
  );
}
