import { and, desc, eq, isNotNull } from "drizzle-orm";
import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { findUserById } from "../accounts/queries";
import { secondFactors, mfaModes } from "../db/schema";
import { scopeOf } from "../http/context";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody, pathParams } from "../http/validation";
import { addEmailCodes, confirmApp, removeFactor, requireAFactor, requireAllowed, requireEmailCodesPossible, requireRemovable } from "./my-factors";
import { factorRequired } from "./policy";
import { recoveryCodesLeft, replaceRecoveryCodes } from "./recovery-codes";
import { requireFreshSecondFactor, StepUpFields } from "./step-up";
import { startTotpEnrolment } from "./totp";

// A person's own second factors (rule M), under /t/{tenant}/me/factors: what they have, setting up an
// authenticator app or e-mail codes, new recovery codes, removing one. Every change needs a fresh second
// factor once the person has one (factors/step-up.ts); passkeys have their own routes (passkey-routes.ts).

const FactorView = v.pipe(
  v.object({
    type: v.picklist(["totp", "email"]),
    createdAt: v.string(),
    lastUsedAt: v.nullable(v.string()),
  }),
  v.metadata({ ref: "SecondFactor" }),
);

const RecoveryCodes = v.object({
  recoveryCodes: v.pipe(v.array(v.string()), v.description("Ten codes, each working once; shown this once")),
});

const StepUp = v.object(StepUpFields);

export const listMyFactors = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "My second factors, the tenant's policy for me, and how many recovery codes are left",
    responses: {
      200: jsonResponse(
        "The factors",
        v.object({
          policy: v.picklist(mfaModes),
          required: v.pipe(v.boolean(), v.description("Whether I must keep one (the last is not removed)")),
          allowed: v.array(v.picklist(["totp", "email", "passkey"])),
          factors: v.array(FactorView),
          recoveryCodesLeft: v.number(),
        }),
      ),
      ...problems("unauthorized", "account_inactive"),
    },
  }),
  async (c) => {
    const { db, tenant, principal } = c.var;
    const rows = await db
      .select()
      .from(secondFactors)
      .where(and(eq(secondFactors.userId, principal.user.id), isNotNull(secondFactors.confirmedAt)))
      .orderBy(desc(secondFactors.createdAt))
      .all();
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        policy: tenant.mfa.mode,
        required: factorRequired(tenant, principal.user),
        allowed: tenant.mfa.factors,
        factors: rows.map((row) => ({ type: row.type, createdAt: row.createdAt.toISOString(), lastUsedAt: row.lastUsedAt?.toISOString() ?? null })),
        recoveryCodesLeft: await recoveryCodesLeft(db, principal.user.id),
      },
      200,
    );
  },
);

export const startMyTotp = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Set up an authenticator app (TOTP): its key, otpauth URI and QR code; confirm with its first code",
    responses: {
      200: jsonResponse("The key, as text, URI and QR code (SVG)", v.object({ secret: v.string(), uri: v.string(), qrSvg: v.string() })),
      ...problems("validation_failed", "unauthorized", "forbidden", "mfa_required", "invalid_credentials"),
    },
  }),
  jsonBody(StepUp),
  async (c) => {
    const scope = scopeOf(c);
    const { tenant, principal, config } = c.var;
    requireAllowed(tenant, "totp");
    await requireFreshSecondFactor(scope, tenant, principal, c.req.valid("json"));
    const user = await findUserById(scope.db, tenant.id, principal.user.id);
    const enrolment = user && (await startTotpEnrolment(scope.db, await config.secretBoxKey(), tenant, user));
    if (!enrolment) throw new AppError("forbidden", { detail: "An authenticator app is already set up: remove it first" });
    c.header("Cache-Control", "no-store");
    return c.json(enrolment, 200);
  },
);

export const confirmMyTotp = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Confirm the authenticator app with its first code; a first factor comes with recovery codes",
    responses: {
      200: jsonResponse("Confirmed: recovery codes when it is the person's first factor", v.partial(RecoveryCodes)),
      ...problems("validation_failed", "unauthorized", "invalid_credentials"),
    },
  }),
  jsonBody(v.object({ code: v.pipe(v.string(), v.regex(/^\d{6}$/, "Six digits")) })),
  async (c) => {
    const { tenant, principal } = c.var;
    const confirmed = await confirmApp(scopeOf(c), tenant, principal.user.id, c.req.valid("json").code);
    if (!confirmed) throw new AppError("invalid_credentials", { detail: "The code is not correct, or no authenticator app is being set up" });
    c.header("Cache-Control", "no-store");
    return c.json(confirmed, 200);
  },
);

export const addMyEmailFactor = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Receive sign-in codes by e-mail, at my confirmed address; a first factor comes with recovery codes",
    responses: {
      201: jsonResponse("Set up", v.partial(RecoveryCodes)),
      ...problems("validation_failed", "unauthorized", "forbidden", "mfa_required", "invalid_credentials"),
    },
  }),
  jsonBody(StepUp),
  async (c) => {
    const scope = scopeOf(c);
    const { tenant, principal } = c.var;
    requireEmailCodesPossible(tenant, principal.user);
    await requireFreshSecondFactor(scope, tenant, principal, c.req.valid("json"));
    const added = await addEmailCodes(scope, tenant, principal.user);
    c.header("Cache-Control", "no-store");
    return c.json(added, 201);
  },
);

export const newMyRecoveryCodes = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "New recovery codes, replacing the old ones (each works once)",
    responses: {
      200: jsonResponse("The new codes, shown this once", RecoveryCodes),
      ...problems("validation_failed", "unauthorized", "forbidden", "mfa_required", "invalid_credentials"),
    },
  }),
  jsonBody(StepUp),
  async (c) => {
    const scope = scopeOf(c);
    const { tenant, principal, config } = c.var;
    await requireAFactor(scope, tenant, principal.user.id);
    await requireFreshSecondFactor(scope, tenant, principal, c.req.valid("json"));
    c.header("Cache-Control", "no-store");
    return c.json({ recoveryCodes: await replaceRecoveryCodes(scope.db, await config.lookupKey(), tenant.id, principal.user.id) }, 200);
  },
);

export const removeMyFactor = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Remove my authenticator app or e-mail codes; the last factor stays while the tenant requires one",
    responses: {
      204: { description: "Removed" },
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found", "mfa_required", "invalid_credentials"),
    },
  }),
  pathParams(v.object({ type: v.picklist(["totp", "email"]) })),
  jsonBody(StepUp),
  async (c) => {
    const scope = scopeOf(c);
    const { tenant, principal } = c.var;
    const { type } = c.req.valid("param");
    await requireRemovable(scope, tenant, principal.user, { type });
    await requireFreshSecondFactor(scope, tenant, principal, c.req.valid("json"));
    await removeFactor(scope, tenant, principal.user.id, { type });
    return c.body(null, 204);
  },
);
