import { eq } from "drizzle-orm";
import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import type { Config } from "../config";
import { commit } from "../db/batch";
import { users } from "../db/schema";
import { scopeOf } from "../http/context";
import { jsonResponse, problems } from "../http/openapi";
import { requestMeta } from "../http/request-meta";
import { defineRoute } from "../http/route";
import { jsonBody, validationFailed } from "../http/validation";
import { appClient, ClientId, ScopeParam } from "../tokens/clients";
import { revokeUserSessions } from "../tokens/sessions";
import { TokenResponseSchema } from "../tokens/token-response";
import { checkPassword, spendCorrectCheck } from "./check";
import { hashPassword } from "./password";
import { MAX_PASSWORD_LENGTH, NewPassword, passwordReuseProblem } from "./password-policy";
import { admitBearer } from "../policy/require-user";
import { signInWithPassword } from "./sign-in";
import { replaceTemporaryPassword } from "./temporary-password";

/** The app's own sign-in routes take public clients only: a confidential one signs people in through /authorize. */
export function requireAppClient(config: Config, clientId: string): void {
  if (!appClient(config, clientId)) {
    throw validationFailed([{ path: "clientId", message: "Not a registered app: a public client (a web application signs people in through /authorize)" }]);
  }
}

const SignInBody = v.pipe(
  v.object({
    login: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(320), v.description("Username or e-mail address, any case")),
    password: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_PASSWORD_LENGTH)),
    clientId: ClientId,
    scope: v.optional(v.pipe(ScopeParam, v.description("`openid` (the default) adds an ID token")), "openid"),
    nonce: v.optional(v.pipe(v.string(), v.maxLength(200), v.description("Echoed in the ID token"))),
    rememberToken: v.optional(
      v.pipe(v.string(), v.maxLength(200), v.description("The `rememberToken` of an earlier second step on this device: skips it while it lasts")),
    ),
  }),
  v.metadata({ ref: "SignIn" }),
);

export const signIn = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "Sign in with MyQ credentials (username or e-mail, and password)",
    responses: {
      200: jsonResponse("Signed in", TokenResponseSchema),
      ...problems("validation_failed", "invalid_credentials", "mfa_required", "account_inactive", "account_locked", "tenant_not_found", "tenant_disabled"),
    },
  }),
  jsonBody(SignInBody),
  async (c) => {
    const input = c.req.valid("json");
    requireAppClient(c.var.config, input.clientId);
    const tokens = await signInWithPassword(scopeOf(c), c.var.tenant, input, requestMeta(c.req.raw));
    c.header("Cache-Control", "no-store");
    return c.json(tokens, 200);
  },
);

const ChangePasswordBody = v.pipe(
  v.object({
    currentPassword: v.optional(
      v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_PASSWORD_LENGTH), v.description("Signed in (a bearer token): the password now in effect")),
    ),
    changeToken: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.maxLength(100),
        v.description("Instead of a bearer token and currentPassword: the `changeToken` of a sign-in's 403 password_change_required"),
      ),
    ),
    newPassword: NewPassword,
    clientId: v.optional(v.pipe(ClientId, v.description("With changeToken: the app to sign in to"))),
    scope: v.optional(v.pipe(ScopeParam, v.description("With changeToken: as at sign-in")), "openid"),
    nonce: v.optional(v.pipe(v.string(), v.maxLength(200), v.description("With changeToken: echoed in the ID token"))),
  }),
  v.forward(
    v.check((body) => (body.currentPassword === undefined) !== (body.changeToken === undefined), "Give currentPassword (signed in) or changeToken, one of them"),
    ["currentPassword"],
  ),
  v.forward(v.check((body) => body.changeToken === undefined || body.clientId !== undefined, "Required with changeToken"), ["clientId"]),
  v.metadata({ ref: "ChangePassword" }),
);

/**
 * Two ways in. Signed in (a bearer token): the current password is required even so (a borrowed phone
 * must not take over the account), wrong guesses count towards the lockout like sign-in failures, and the
 * other sessions end (204). With the change token of a temporary password (no bearer token: the person
 * has no session yet): the new password replaces the admin's, every session ends, and the person is
 * signed in (200 and tokens, as at sign-in).
 */
export const changePassword = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Change my password; my other sessions end. Or, with a changeToken, replace an admin's temporary password and sign in",
    security: [{ bearer: [] }, {}],
    responses: {
      200: jsonResponse("With changeToken: the password is changed, and signed in", TokenResponseSchema),
      204: { description: "Changed" },
      ...problems("validation_failed", "unauthorized", "account_inactive", "account_locked", "rate_limited"),
    },
  }),
  jsonBody(ChangePasswordBody),
  async (c) => {
    const { currentPassword, changeToken, newPassword, clientId, scope: requested, nonce } = c.req.valid("json");
    const scope = scopeOf(c);
    if (changeToken !== undefined) {
      requireAppClient(c.var.config, clientId!);
      const tokens = await replaceTemporaryPassword(scope, c.var.tenant, { changeToken, newPassword, clientId: clientId!, scope: requested, nonce });
      c.header("Cache-Control", "no-store");
      return c.json(tokens, 200);
    }
    const { tenant, principal } = await admitBearer(c);
    const { user, sessionId } = principal;
    const { db } = c.var;

    const reuse = passwordReuseProblem(newPassword, user);
    if (reuse) throw validationFailed([{ path: "newPassword", message: reuse }]);

    const check = await checkPassword(scope, tenant, { userId: user.id }, currentPassword!);
    if (!check.correct) {
      if (check.refusal.code !== "invalid_credentials") throw check.refusal;
      throw validationFailed(
        [{ path: "currentPassword", message: "Not the current password" }],
        // A retry of a change that went through meets the new password: say so.
        "The current password is not correct. If you have just changed it, the new one is already in effect.",
      );
    }
    const passwordHash = await hashPassword(newPassword);
    const now = new Date();
    await spendCorrectCheck(scope, check, (settle) =>
      commit(db, [
        settle,
        db.update(users).set({ passwordHash, mustChangePassword: false, updatedAt: now }).where(eq(users.id, user.id)),
        revokeUserSessions(db, user.id, { except: sessionId, now }),
      ]),
    );
    return c.body(null, 204);
  },
);
