import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import { NewPassword, passwordReuseProblem } from "../credentials/password-policy";
import { scopeOf, type AppEnv } from "../http/context";
import { jsonBody, jsonResponse, problems } from "../http/openapi";
import { validationFailed } from "../http/validation";
import { tenantRoute } from "../tenants/middleware";
import { TenantPath } from "../tenants/slug";
import { ClientId, registeredClient, ScopeParam } from "../tokens/clients";
import { TokenResponseSchema } from "../tokens/token-response";
import { Email, PersonName, Username } from "./fields";
import { registerPersonalAccount } from "./register";
import { usernameBase } from "./usernames";
import { userView, UserView } from "./view";

const RegisterBody = z
  .object({
    email: Email,
    password: NewPassword,
    firstName: PersonName.optional(),
    lastName: PersonName.optional(),
    username: Username.optional().openapi({ description: "Generated from the names or e-mail when absent" }),
    clientId: ClientId,
    scope: ScopeParam.default("openid"),
  })
  .superRefine((body, ctx) => {
    // Without a chosen username the account gets one made from the names or e-mail: not that either.
    const problem = passwordReuseProblem(body.password, { email: body.email, username: body.username ?? usernameBase(body) });
    if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: problem });
  })
  .openapi("Register");

export const registerRoute = createRoute({
  method: "post",
  path: "/t/{tenant}/register",
  tags: ["Registration"],
  summary: "Register a personal MyQ account",
  middleware: [tenantRoute()],
  request: { params: TenantPath, body: jsonBody(RegisterBody) },
  responses: {
    201: jsonResponse(
      "Registered and active: signed in",
      TokenResponseSchema.extend({ user: UserView, status: z.literal("active") }),
    ),
    202: jsonResponse(
      "Registered; the account awaits an admin's activation, so no tokens",
      z.object({ user: UserView, status: z.literal("pending_activation") }),
    ),
    ...problems("validation_failed", "registration_disabled", "account_exists", "tenant_not_found", "tenant_disabled"),
  },
});

export const register: RouteHandler<typeof registerRoute, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  if (!registeredClient(c.var.config, input.clientId)) {
    throw validationFailed([{ path: "clientId", message: "Not a registered client" }]);
  }
  const registered = await registerPersonalAccount(scopeOf(c), c.var.tenant, input);
  c.header("Cache-Control", "no-store");
  const user = userView(registered.user, []);
  return registered.status === "active"
    ? c.json({ user, status: "active" as const, ...registered.tokens }, 201)
    : c.json({ user, status: "pending_activation" as const }, 202);
};
