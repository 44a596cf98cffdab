import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { ProofToken } from "../accounts/account-tokens";
import { scopeOf } from "../http/context";
import { problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody } from "../http/validation";
import { mailAfterAnswer, requestLocale } from "../mail/proof";
import { mailPasswordReset, resetPassword } from "./password-reset";
import { NewPassword } from "./password-policy";
import { StepUpFields } from "../factors/step-up";

const ForgotBody = v.pipe(
  v.object({ login: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(320), v.description("Username or e-mail address, any case")) }),
  v.metadata({ ref: "ForgotPassword" }),
);

export const forgotPassword = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "Forgotten password: mail a reset link (30 minutes, single use) to the account's confirmed address",
    description: "Always 202 with no body, at once, whether or not the login names an account with a confirmed address.",
    responses: {
      202: { description: "Accepted" },
      ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
    },
  }),
  jsonBody(ForgotBody),
  async (c) => {
    const { login } = c.req.valid("json");
    mailAfterAnswer(c, () => mailPasswordReset(scopeOf(c), c.var.tenant, login, requestLocale(c)));
    return c.body(null, 202);
  },
);

const ResetBody = v.pipe(
  v.object({
    token: ProofToken,
    newPassword: NewPassword,
    // Rule M: a person with a second factor proves it too (the first call answers mfa_required with the token).
    ...StepUpFields,
  }),
  v.metadata({ ref: "ResetPassword" }),
);

export const resetForgottenPassword = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "Set a new password with the mailed link's token; every session of the account ends and its lockout is cleared",
    responses: {
      204: { description: "The new password is in effect: sign in with it" },
      ...problems("validation_failed", "mfa_required", "invalid_credentials", "account_locked", "tenant_not_found", "tenant_disabled"),
    },
  }),
  jsonBody(ResetBody),
  async (c) => {
    const { token, newPassword, ...secondFactor } = c.req.valid("json");
    await resetPassword(scopeOf(c), c.var.tenant, token, newPassword, secondFactor);
    return c.body(null, 204);
  },
);
