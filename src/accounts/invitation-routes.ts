import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { NewPassword } from "../credentials/password-policy";
import { scopeOf } from "../http/context";
import { problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody } from "../http/validation";
import { ProofToken } from "./account-tokens";
import { acceptInvitation } from "./invitations";

const AcceptBody = v.pipe(v.object({ token: ProofToken, password: NewPassword }), v.metadata({ ref: "AcceptInvitation" }));

export const acceptAnInvitation = defineRoute(
  describeRoute({
    tags: ["Registration"],
    summary: "Accept an admin's invitation: choose my password (my address is then confirmed)",
    responses: {
      204: { description: "The password is set: sign in with it (if the admin made the account active)" },
      ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
    },
  }),
  jsonBody(AcceptBody),
  async (c) => {
    const { token, password } = c.req.valid("json");
    await acceptInvitation(scopeOf(c), c.var.tenant, token, password);
    return c.body(null, 204);
  },
);
