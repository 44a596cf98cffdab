import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { userOfTenant } from "../accounts/queries";
import { factorsOf, resetFactors } from "../factors/reset";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { IdPath, pathParams } from "../http/validation";

// A user's second factors, for the tenant's admins: what the person set up, and a reset for a person who
// lost them (every factor, recovery code and remembered device goes, and every session ends).

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const getUserFactors = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "A user's second factors: authenticator app, e-mail codes, passkeys, recovery codes left",
    responses: {
      200: jsonResponse(
        "The factors",
        v.object({
          factors: v.array(v.object({ type: v.picklist(["totp", "email"]), createdAt: v.string(), lastUsedAt: v.nullable(v.string()) })),
          passkeys: v.array(v.object({ id: v.string(), name: v.string(), createdAt: v.string(), lastUsedAt: v.nullable(v.string()) })),
          recoveryCodesLeft: v.number(),
        }),
      ),
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
    },
  }),
  pathParams(IdPath),
  async (c) => {
    const user = await userOfTenant(c.var.db, c.var.tenant.id, c.req.valid("param").id);
    const { factors, passkeys, recoveryCodesLeft } = await factorsOf(c.var.db, user.id);
    return c.json(
      {
        factors: factors.map((f) => ({ type: f.type, createdAt: f.createdAt.toISOString(), lastUsedAt: iso(f.lastUsedAt) })),
        passkeys: passkeys.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt.toISOString(), lastUsedAt: iso(p.lastUsedAt) })),
        recoveryCodesLeft,
      },
      200,
    );
  },
);

export const resetUserFactors = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Reset a user's second factors: all of them, their recovery codes and remembered devices go, and their sessions end",
    responses: { 204: { description: "Reset" }, ...problems("validation_failed", "unauthorized", "forbidden", "not_found") },
  }),
  pathParams(IdPath),
  async (c) => {
    const user = await userOfTenant(c.var.db, c.var.tenant.id, c.req.valid("param").id);
    await resetFactors(c.var.db, user.id);
    return c.body(null, 204);
  },
);
