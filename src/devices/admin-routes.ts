import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { deviceKinds } from "../db/schema";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { cursorOf, encodeCursor, PageLimit } from "../http/cursor";
import { IdPath, jsonBody, pathParams, queryParams, validationFailed } from "../http/validation";
import {
  MAX_DEVICE_NAME_LENGTH,
  authMethodOf,
  deviceAuthMethods,
  listDevices as queryDevices,
  registerDevice,
  registerDeviceWithKeys,
  revokeDevice as revokeDeviceClient,
  type DeviceClient,
} from "./device-clients";
import { DeviceJwks, unusableKeys } from "./device-keys";

// The tenant's admins register its printers, panels and desktop clients, list them, and revoke them.

const DeviceView = v.pipe(
  v.object({
    id: v.string(),
    name: v.string(),
    kind: v.picklist(deviceKinds),
    authMethod: v.picklist(deviceAuthMethods),
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
  authMethod: authMethodOf(device),
  createdAt: device.createdAt.toISOString(),
  lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
  revokedAt: device.revokedAt?.toISOString() ?? null,
});

/** A registration's answer: the device as the listing shows it, less `lastSeenAt` and `revokedAt` (a new device has neither). */
const registeredView = (device: DeviceClient) => {
  const { id, name, kind, authMethod, createdAt } = deviceView(device);
  return { id, name, kind, authMethod, createdAt };
};

const RegisteredDevice = { id: v.string(), name: v.string(), kind: v.picklist(deviceKinds), createdAt: v.string() };

export const createDevice = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "Register a device client (printer, panel, desktop client), with a secret answered this once or with its public keys",
    description:
      "Without `jwks`, the device gets a client secret, answered in `clientSecret` this once (only its hash is kept); it " +
      "authenticates with client_secret_basic or client_secret_post. With `jwks`, the public keys it signs client assertions " +
      "with, it gets no secret and the answer has no `clientSecret`; it authenticates with private_key_jwt (RFC 7523): " +
      "`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`, a JWT with " +
      "`iss` = `sub` = its id, `aud` the tenant's issuer or token endpoint, `exp` at most 5 minutes ahead and a single-use `jti`.",
    responses: {
      201: jsonResponse(
        "Registered: `id` is its client_id; `clientSecret` (a secret's device only) its secret, never shown again",
        v.union([
          v.object({ ...RegisteredDevice, authMethod: v.literal("client_secret"), clientSecret: v.string() }),
          v.object({ ...RegisteredDevice, authMethod: v.literal("private_key_jwt") }),
        ]),
      ),
      ...problems("validation_failed", "unauthorized", "forbidden"),
    },
  }),
  jsonBody(
    v.object({
      name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(MAX_DEVICE_NAME_LENGTH)),
      kind: v.picklist(deviceKinds),
      jwks: v.optional(DeviceJwks),
    }),
  ),
  async (c) => {
    const { db, tenant } = c.var;
    const { jwks, ...device } = c.req.valid("json");
    if (jwks === undefined) {
      const { device: registered, clientSecret } = await registerDevice(db, tenant.id, device);
      return c.json({ ...registeredView(registered), clientSecret }, 201);
    }
    const unusable = await unusableKeys(jwks, "jwks");
    if (unusable.length > 0) throw validationFailed(unusable);
    const { device: registered } = await registerDeviceWithKeys(db, tenant.id, { ...device, jwks });
    return c.json(registeredView(registered), 201);
  },
);

export const listDevices = defineRoute(
  describeRoute({
    tags: ["Administration"],
    summary: "The tenant's device clients, newest first, revoked ones included, a page at a time",
    responses: {
      200: jsonResponse("A page of devices", v.object({ items: v.array(DeviceView), nextCursor: v.nullable(v.string()) })),
      ...problems("validation_failed", "unauthorized", "forbidden"),
    },
  }),
  queryParams(
    v.object({
      limit: PageLimit,
      cursor: v.optional(cursorOf(v.strictTuple([v.pipe(v.number(), v.integer()), v.pipe(v.string(), v.uuid())]))),
    }),
  ),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await queryDevices(c.var.db, c.var.tenant.id, { limit: limit + 1, after: cursor && { createdAt: cursor[0], id: cursor[1] } });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor([last.createdAt.getTime(), last.id]) : null;
    return c.json({ items: items.map(deviceView), nextCursor }, 200);
  },
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
  pathParams(IdPath),
  async (c) => {
    if (!(await revokeDeviceClient(c.var.db, c.var.tenant.id, c.req.valid("param").id))) {
      throw new AppError("not_found", { detail: "No such device in this tenant" });
    }
    return c.body(null, 204);
  },
);
