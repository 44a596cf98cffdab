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
import { enrolledFactors } from "./enrolled";
import { factorRequired } from "./policy";
import { recoveryCodesLeft, replaceRecoveryCodes } from "./recovery-codes";
import { requireFreshSecondFactor, StepUpFields } from "./step-up";
import { startTotpEnrolment, useTotpCode } from "./totp";

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

function requireAllowed(tenantFactors: readonly string[], type: string) {
  if (!tenantFactors.includes(type)) throw new AppError("forbidden", { detail: `This tenant does not allow ${type} as a second factor` });
}

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
    requireAllowed(tenant.mfa.factors, "totp");
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
    const { db, tenant, principal, config } = c.var;
    const first = (await enrolledFactors(db, tenant, principal.user.id)).length === 0;
    if (!(await useTotpCode(db, await config.secretBoxKey(), principal.user.id, c.req.valid("json").code, false))) {
      throw new AppError("invalid_credentials", { detail: "The code is not correct, or no authenticator app is being set up" });
    }
    c.header("Cache-Control", "no-store");
    return c.json(first ? { recoveryCodes: await replaceRecoveryCodes(db, await config.lookupKey(), tenant.id, principal.user.id) } : {}, 200);
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
    const { tenant, principal, config } = c.var;
    requireAllowed(tenant.mfa.factors, "email");
    if (!principal.user.email || !principal.user.emailVerified) throw new AppError("forbidden", { detail: "E-mail codes need a confirmed address: confirm it first" });
    await requireFreshSecondFactor(scope, tenant, principal, c.req.valid("json"));
    const first = (await enrolledFactors(scope.db, tenant, principal.user.id)).length === 0;
    const now = new Date();
    await scope.db
      .insert(secondFactors)
      .values({ id: crypto.randomUUID(), tenantId: tenant.id, userId: principal.user.id, type: "email", confirmedAt: now, createdAt: now })
      .onConflictDoUpdate({ target: [secondFactors.userId, secondFactors.type], set: { confirmedAt: now } });
    c.header("Cache-Control", "no-store");
    return c.json(first ? { recoveryCodes: await replaceRecoveryCodes(scope.db, await config.lookupKey(), tenant.id, principal.user.id) } : {}, 201);
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
    if ((await enrolledFactors(scope.db, tenant, principal.user.id)).length === 0) {
      throw new AppError("forbidden", { detail: "Recovery codes come with a second factor: set one up first" });
    }
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
    const enrolled = await enrolledFactors(scope.db, tenant, principal.user.id);
    if (!enrolled.includes(type)) throw new AppError("not_found", { detail: `No ${type} factor is set up` });
    if (enrolled.length === 1 && factorRequired(tenant, principal.user)) {
      throw new AppError("forbidden", { detail: "This tenant requires a second factor: set up another before removing this one" });
    }
    await requireFreshSecondFactor(scope, tenant, principal, c.req.valid("json"));
    await scope.db.delete(secondFactors).where(and(eq(secondFactors.userId, principal.user.id), eq(secondFactors.type, type)));
    return c.body(null, 204);
  },
);
