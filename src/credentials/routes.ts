import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { commit } from "../db/batch";
import { users } from "../db/schema";
import { scopeOf, type AppEnv } from "../http/context";
import { jsonBody, jsonResponse, problems } from "../http/openapi";
import { requestMeta } from "../http/request-meta";
import { validationFailed } from "../http/validation";
import { requireUser } from "../policy/require-user";
import { TenantPath } from "../tenants/slug";
import { tenantRoute } from "../tenants/middleware";
import { ClientId, registeredClient, ScopeParam } from "../tokens/clients";
import { revokeUserSessions } from "../tokens/sessions";
import { TokenResponseSchema } from "../tokens/token-response";
import { checkPassword, spendCorrectCheck } from "./check";
import { hashPassword } from "./password";
import { MAX_PASSWORD_LENGTH, NewPassword, passwordReuseProblem } from "./password-policy";
import { signInWithPassword } from "./sign-in";

const SignInBody = z
  .object({
    login: z.string().trim().min(1).max(320).openapi({ description: "Username or e-mail address, any case" }),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    clientId: ClientId,
    scope: ScopeParam.default("openid").openapi({ description: "`openid` (the default) adds an ID token" }),
    nonce: z.string().max(200).optional().openapi({ description: "Echoed in the ID token" }),
  })
  .openapi("SignIn");

export const signInRoute = createRoute({
  method: "post",
  path: "/t/{tenant}/sign-in",
  tags: ["Sign-in"],
  summary: "Sign in with MyQ credentials (username or e-mail, and password)",
  middleware: [tenantRoute()],
  request: { params: TenantPath, body: jsonBody(SignInBody) },
  responses: {
    200: jsonResponse("Signed in", TokenResponseSchema),
    ...problems("validation_failed", "invalid_credentials", "account_inactive", "account_locked", "tenant_not_found", "tenant_disabled"),
  },
});

export const signIn: RouteHandler<typeof signInRoute, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  if (!registeredClient(c.var.config, input.clientId)) {
    throw validationFailed([{ path: "clientId", message: "Not a registered client" }]);
  }
  const tokens = await signInWithPassword(scopeOf(c), c.var.tenant, input, requestMeta(c.req.raw));
  c.header("Cache-Control", "no-store");
  return c.json(tokens, 200);
};

const ChangePasswordBody = z
  .object({ currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH), newPassword: NewPassword })
  .openapi("ChangePassword");

export const changePasswordRoute = createRoute({
  method: "post",
  path: "/t/{tenant}/me/password",
  tags: ["Signed-in user"],
  summary: "Change my password; my other sessions end",
  security: [{ bearer: [] }],
  middleware: [requireUser()],
  request: { params: TenantPath, body: jsonBody(ChangePasswordBody) },
  responses: {
    204: { description: "Changed" },
    ...problems("validation_failed", "unauthorized", "account_inactive", "account_locked", "rate_limited"),
  },
});

/**
 * The current password is required even with a valid token (a borrowed phone must not take over the
 * account), and wrong guesses count towards the lockout like sign-in failures.
 */
export const changePassword: RouteHandler<typeof changePasswordRoute, AppEnv> = async (c) => {
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
      revokeUserSessions(db, user.id, sessionId, now),
    ]),
  );
  return c.body(null, 204);
};
