import { eq } from "drizzle-orm";
import { describeRoute } from "hono-openapi";
import * as v from "valibot";
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
import { signInWithPassword } from "./sign-in";

const SignInBody = v.pipe(
  v.object({
    login: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(320), v.description("Username or e-mail address, any case")),
    password: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_PASSWORD_LENGTH)),
    clientId: ClientId,
    scope: v.optional(v.pipe(ScopeParam, v.description("`openid` (the default) adds an ID token")), "openid"),
    nonce: v.optional(v.pipe(v.string(), v.maxLength(200), v.description("Echoed in the ID token"))),
  }),
  v.metadata({ ref: "SignIn" }),
);

export const signIn = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "Sign in with MyQ credentials (username or e-mail, and password)",
    responses: {
      200: jsonResponse("Signed in", TokenResponseSchema),
      ...problems("validation_failed", "invalid_credentials", "account_inactive", "account_locked", "tenant_not_found", "tenant_disabled"),
    },
  }),
  jsonBody(SignInBody),
  async (c) => {
    const input = c.req.valid("json");
    if (!appClient(c.var.config, input.clientId)) {
      throw validationFailed([{ path: "clientId", message: "Not a registered app: a public client (a web application signs people in through /authorize)" }]);
    }
    const tokens = await signInWithPassword(scopeOf(c), c.var.tenant, input, requestMeta(c.req.raw));
    c.header("Cache-Control", "no-store");
    return c.json(tokens, 200);
  },
);

const ChangePasswordBody = v.pipe(
  v.object({ currentPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_PASSWORD_LENGTH)), newPassword: NewPassword }),
  v.metadata({ ref: "ChangePassword" }),
);

/**
 * The current password is required even with a valid token (a borrowed phone must not take over the
 * account), and wrong guesses count towards the lockout like sign-in failures.
 */
export const changePassword = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Change my password; my other sessions end",
    responses: {
      204: { description: "Changed" },
      ...problems("validation_failed", "unauthorized", "account_inactive", "account_locked", "rate_limited"),
    },
  }),
  jsonBody(ChangePasswordBody),
  async (c) => {
    const { currentPassword, newPassword } = c.req.valid("json");
    const { tenant, db } = c.var;
    const { user, sessionId } = c.var.principal;
    const scope = scopeOf(c);

    const reuse = passwordReuseProblem(newPassword, user);
    if (reuse) throw validationFailed([{ path: "newPassword", message: reuse }]);

    const check = await checkPassword(scope, tenant, { userId: user.id }, currentPassword);
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
        db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, user.id)),
        revokeUserSessions(db, user.id, { except: sessionId, now }),
      ]),
    );
    return c.body(null, 204);
  },
);
