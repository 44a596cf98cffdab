import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { scopeOf } from "../http/context";
import { problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody } from "../http/validation";
import { mailAfterAnswer, requestLocale } from "../mail/proof";
import { ProofToken } from "./account-tokens";
import { resendVerification, verifyWithCode, verifyWithToken } from "./email-verification";
import { Email } from "./fields";


const VerifyBody = v.pipe(
  v.union([
    v.strictObject({ token: ProofToken }),
    v.strictObject({ email: Email, code: v.pipe(v.string(), v.trim(), v.regex(/^\d{6}$/, "Six digits")) }),
  ]),
  v.metadata({ ref: "VerifyEmail" }),
);

export const verifyEmail = defineRoute(
  describeRoute({
    tags: ["Registration"],
    summary: "Confirm my e-mail address, with the mailed link's token or with the address and code (rule E)",
    description: "Each link and code works once, for 48 hours, in its tenant only; a message's code takes at most 5 tries.",
    responses: {
      204: { description: "The address is confirmed (`email_verified` in /me and ID tokens)" },
      ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
    },
  }),
  jsonBody(VerifyBody),
  async (c) => {
    const body = c.req.valid("json");
    const scope = scopeOf(c);
    if ("token" in body) await verifyWithToken(scope, c.var.tenant, body.token);
    else await verifyWithCode(scope, c.var.tenant, body.email, body.code);
    return c.body(null, 204);
  },
);

const ResendBody = v.pipe(v.object({ email: Email }), v.metadata({ ref: "ResendVerification" }));

export const resendEmailVerification = defineRoute(
  describeRoute({
    tags: ["Registration"],
    summary: "Send the confirmation message again (a new link and code; the earlier ones stop working)",
    description: "Always 202, whether or not the address has an unconfirmed account here; at most one message a minute per account.",
    responses: {
      202: { description: "Accepted" },
      ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
    },
  }),
  jsonBody(ResendBody),
  async (c) => {
    const { email } = c.req.valid("json");
    mailAfterAnswer(c, () => resendVerification(scopeOf(c), c.var.tenant, email, requestLocale(c)));
    return c.body(null, 202);
  },
);
