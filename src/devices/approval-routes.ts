import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { deviceKinds } from "../db/schema";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody, queryParams } from "../http/validation";
import { approverAmr, StepUpFields } from "../factors/step-up";
import { scopeOf } from "../http/context";
import { decideAuthorization, pendingDevice } from "./authorizations";

// The person's side of RFC 8628 from the signed-in app (the QR flow): see what asks, then approve or deny.

const UserCode = v.pipe(v.string(), v.minLength(1), v.maxLength(20), v.metadata({ example: "WDJB-MJHT" }));

const AskingDevice = v.pipe(
  v.object({ name: v.string(), kind: v.picklist(deviceKinds) }),
  v.description("The device that asks to be signed in"),
  v.metadata({ ref: "AskingDevice" }),
);

/** Unknown, expired, already decided, or a revoked device's: one answer, so that a guesser learns nothing. */
const noSuchCode = () => new AppError("not_found", { detail: "No such code, or it has expired" });

const errors = () => problems("validation_failed", "unauthorized", "forbidden", "account_inactive", "not_found", "mfa_required", "invalid_credentials", "rate_limited");

export const pendingDeviceAuthorization = defineRoute(
  describeRoute({
    tags: ["Devices"],
    summary: "The device behind a user code, before the person approves it",
    responses: { 200: jsonResponse("The asking device", AskingDevice), ...errors() },
  }),
  queryParams(v.object({ userCode: UserCode })),
  async (c) => {
    const device = await pendingDevice(c.var.db, c.var.tenant.id, c.req.valid("query").userCode);
    if (!device) throw noSuchCode();
    return c.json(device, 200);
  },
);

function decision(approve: boolean) {
  return defineRoute(
    describeRoute({
      tags: ["Devices"],
      summary: approve
        ? "Approve a user code: the device polling for it is signed in as this person (RFC 8628 §3.3)"
        : "Deny a user code: the device polling for it gets access_denied (RFC 8628 §3.5)",
      responses: { 200: jsonResponse(approve ? "Approved: the device" : "Denied: the device", AskingDevice), ...errors() },
    }),
    // Rule M: approving signs a device in as the person, so a person who owes a second factor proves one
    // (their session's, or a fresh one: mfa_required, then the same request with mfaToken and code).
    jsonBody(v.object({ userCode: UserCode, ...StepUpFields })),
    async (c) => {
      const { db, tenant, principal } = c.var;
      const { userCode, ...secondFactor } = c.req.valid("json");
      const decision = approve
        ? { approve, userId: principal.user.id, amr: await approverAmr(scopeOf(c), tenant, principal, secondFactor) }
        : { approve };
      const device = await decideAuthorization(db, tenant.id, userCode, decision);
      if (!device) throw noSuchCode();
      return c.json(device, 200);
    },
  );
}

export const approveDevice = decision(true);
export const denyDevice = decision(false);
