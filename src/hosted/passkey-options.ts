import type { Context } from "hono";
import type { Tenant } from "../db/schema";
import { authenticationOptions } from "../factors/passkeys";
import type { AppEnv, Scope } from "../http/context";
import { AppError } from "../http/errors";
import type { PendingStepView } from "./pending-step";

/**
 * The options the passkey script fetches (passkey-script.ts), as JSON, never cached. A refusal is only its
 * code and status: the script does not read it, it posts its form instead, and the page that answers the
 * form says what comes next in the person's words (the step first, the step gone, sign in again…).
 */
export async function optionsAnswer(c: Context<AppEnv>, make: () => Promise<object>): Promise<Response> {
  try {
    return c.json(await make(), 200);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return c.json({ code: error.code }, error.status);
  }
}

/**
 * A passkey's options for a step waiting on a page (a sign-in's second step, or a change's): the
 * person's passkeys, user verification preferred, as the API's `POST …/sign-in/mfa/passkey` gives them.
 */
export function stepPasskeyOptions(scope: Scope, tenant: Tenant, step: PendingStepView | undefined) {
  if (!step) throw new AppError("invalid_credentials", { detail: "This second step is not valid, has expired or was already used" });
  if (!step.factors.includes("passkey")) throw new AppError("forbidden", { detail: "This person has no passkey" });
  return authenticationOptions(scope.db, scope.config, tenant, { userId: step.user.id, userVerification: "preferred" });
}
