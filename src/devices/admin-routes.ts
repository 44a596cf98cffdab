import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { deviceKinds } from "../db/schema";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody, pathParams } from "../http/validation";
import { listDevices as queryDevices, registerDevice, revokeDevice as revokeDeviceClient, type DeviceClient } from "./device-clients";

// The tenant's admins register its printers, panels and desktop clients, list them, and revoke them.

const DeviceView = v.pipe(
  v.object({
    id: v.string(),
    name: v.string(),
    kind: v.picklist(deviceKinds),
    createdAt: v.string(),
    lastSeenAt: v.nullable(v.string()),
    revokedAt: v.nullable(v.string()),
  }),
  v.metadata({ ref: "Device" }),
);

const deviceView = (device: DeviceClient) => ({
  id: device.id,
  name: device.name,
  kind: device.kind,
  createdAt: device.createdAt.toISOString(),
  lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
  revokedAt: device.revokedAt?.toISOString() ?? null,
});

export const createDevice = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Register a device client (printer, panel, desktop client); its secret is answered this once",
    responses: {
      201: jsonResponse(
        "Registered: `id` is its client_id, `clientSecret` its secret, never shown again",
        v.object({ id: v.string(), name: v.string(), kind: v.picklist(deviceKinds), createdAt: v.string(), clientSecret: v.string() }),
      ),
      ...problems("validation_failed", "unauthorized", "forbidden"),
    },
  }),
  jsonBody(v.object({ name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100)), kind: v.picklist(deviceKinds) })),
  async (c) => {
    const { device, clientSecret } = await registerDevice(c.var.db, c.var.tenant.id, c.req.valid("json"));
    const { id, name, kind, createdAt } = deviceView(device);
    return c.json({ id, name, kind, createdAt, clientSecret }, 201);
  },
);

export const listDevices = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "The tenant's device clients, newest first, revoked ones included",
    responses: {
      200: jsonResponse("The devices", v.object({ items: v.array(DeviceView) })),
      ...problems("unauthorized", "forbidden"),
    },
  }),
  async (c) => c.json({ items: (await queryDevices(c.var.db, c.var.tenant.id)).map(deviceView) }, 200),
);

export const revokeDevice = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Revoke a device client: its credentials stop working and every session it holds ends",
    responses: {
      204: { description: "Revoked (or already revoked)" },
      ...problems("validation_failed", "unauthorized", "forbidden", "not_found"),
    },
  }),
  pathParams(v.object({ id: v.pipe(v.string(), v.uuid()) })),
  async (c) => {
    if (!(await revokeDeviceClient(c.var.db, c.var.tenant.id, c.req.valid("param").id))) {
      throw new AppError("not_found", { detail: "No such device in this tenant" });
    }
    return c.body(null, 204);
  },
);
