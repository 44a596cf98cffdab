import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { userOfTenant } from "../accounts/queries";
import type { Tenant } from "../db/schema";
import { scopeOf } from "../http/context";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { IdPath, pathParams } from "../http/validation";
import { mailCode } from "../mail/code-mail";
import { requestLocale } from "../mail/proof";
import { issuePin } from "./pins";

// A person's PIN is seen once: by them when they ask for a new one, or in the message an admin's new one sends.

function requirePins(tenant: Tenant) {
  if (!tenant.panel.pin.enabled) throw new AppError("forbidden", { detail: "This tenant does not use PINs" });
}

const NewPin = v.pipe(
  v.object({ pin: v.pipe(v.string(), v.description("Shown this once: printid keeps only hashes of it")) }),
  v.metadata({ ref: "NewPin" }),
);

export const newMyPin = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Get a new PIN for the tenant's printers; the previous one stops working",
    description: "The PIN is generated (unique in the tenant, never trivial, as long as the tenant's policy and density say) and answered this once.",
    responses: {
      201: jsonResponse("The new PIN", NewPin),
      ...problems("unauthorized", "forbidden", "account_inactive"),
    },
  }),
  async (c) => {
    const { db, config, tenant, principal } = c.var;
    requirePins(tenant);
    const pin = await issuePin(db, await config.lookupKey(), tenant, principal.user.id);
    c.header("Cache-Control", "no-store");
    return c.json({ pin }, 201);
  },
);

export const newUserPin = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Give a user a new PIN, mailed to their confirmed address",
    description:
      "The previous PIN stops working. With a confirmed e-mail address the PIN is mailed (in the language of `ui_locales` " +
      "or Accept-Language) and not answered: `{ mailed: true }`. Without one it is answered to the admin this once, to hand over.",
    responses: {
      200: jsonResponse(
        "The PIN was mailed, or is answered",
        v.object({ mailed: v.boolean(), pin: v.optional(v.pipe(v.string(), v.description("Only when it could not be mailed"))) }),
      ),
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found", "unavailable"),
    },
  }),
  pathParams(IdPath),
  async (c) => {
    const { db, config, tenant } = c.var;
    requirePins(tenant);
    const user = await userOfTenant(db, tenant.id, c.req.valid("param").id);
    const pin = await issuePin(db, await config.lookupKey(), tenant, user.id);
    c.header("Cache-Control", "no-store");
    if (!user.email || !user.emailVerified) return c.json({ mailed: false, pin }, 200);
    await mailCode(scopeOf(c).env, tenant, { kind: "pin", locale: requestLocale(c), to: user.email, code: pin });
    return c.json({ mailed: true }, 200);
  },
);
