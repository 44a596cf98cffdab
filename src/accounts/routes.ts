import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { NewPassword, passwordReuseProblem } from "../credentials/password-policy";
import { scopeOf } from "../http/context";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody, validationFailed } from "../http/validation";
import { requestLocale } from "../mail/proof";
import { appClient, ClientId, ScopeParam } from "../tokens/clients";
import { TokenResponseSchema } from "../tokens/token-response";
import { Email, PersonName, Username } from "./fields";
import { registerPersonalAccount } from "./register";
import { usernameBase } from "./usernames";
import { userView, UserView } from "./view";

/** A registration as the JSON API takes it; the hosted page checks its form with it too. */
export const RegisterBody = v.pipe(
  v.object({
    email: Email,
    password: NewPassword,
    firstName: v.optional(PersonName),
    lastName: v.optional(PersonName),
    username: v.optional(v.pipe(Username, v.description("Generated from the names or e-mail when absent"))),
    clientId: ClientId,
    scope: v.optional(ScopeParam, "openid"),
  }),
  v.forward(
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const body = dataset.value;
      // Without a chosen username the account gets one made from the names or e-mail: not that either.
      const problem = passwordReuseProblem(body.password, { email: body.email, username: body.username ?? usernameBase(body) });
      if (problem) addIssue({ message: problem });
    }),
    ["password"],
  ),
  v.metadata({ ref: "Register" }),
);

export const register = defineRoute(
  describeRoute({
    tags: ["Registration"],
    summary: "Register a personal MyQ account",
    responses: {
      201: jsonResponse(
        "Registered and active: signed in",
        v.intersect([TokenResponseSchema, v.object({ user: UserView, status: v.literal("active") })]),
      ),
      202: jsonResponse(
        "Registered, with no tokens: the address must be confirmed first (the tenant requires it; a link and code were mailed), or the account awaits an admin's activation",
        v.object({ user: UserView, status: v.picklist(["email_unverified", "pending_activation"]) }),
      ),
      ...problems("validation_failed", "registration_disabled", "account_exists", "tenant_not_found", "tenant_disabled", "unavailable"),
    },
  }),
  jsonBody(RegisterBody),
  async (c) => {
    const input = c.req.valid("json");
    if (!appClient(c.var.config, input.clientId)) {
      throw validationFailed([{ path: "clientId", message: "Not a registered app: a public client (a web application signs people in through /authorize)" }]);
    }
    const registered = await registerPersonalAccount(scopeOf(c), c.var.tenant, { ...input, locale: requestLocale(c) });
    c.header("Cache-Control", "no-store");
    const user = userView(registered.user, []);
    return registered.status === "active"
      ? c.json({ user, status: "active" as const, ...registered.tokens }, 201)
      : c.json({ user, status: registered.status }, 202);
  },
);
