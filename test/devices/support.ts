// A tenant's device as the device tests need one: registered by the tenant's admin, its Basic header, and
// the RFC 8628 requests it makes.
import { expect } from "vitest";
import type { AdminFixture } from "../support/admin";
import type { Region } from "../support/regions";
import { json } from "../support/tenants";
import { basicAuth, sha256Base64url } from "../support/tokens";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

export interface RegisteredDevice {
  id: string;
  clientSecret: string;
  auth: Record<string, string>;
}

export interface DeviceAuthorizationBody {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** POST /t/{tenant}/admin/devices as the fixture's admin; must answer 201. */
export async function registerDevice(f: AdminFixture, device = { name: "Lobby printer", kind: "printer" }): Promise<RegisteredDevice> {
  const response = await f.region.fetch(`/t/${f.tenant}/admin/devices`, json(device, f.auth));
  expect(response.status, await response.clone().text()).toBe(201);
  const body = (await response.json()) as { id: string; clientSecret: string };
  return { ...body, auth: basicAuth(body.id, body.clientSecret) };
}

/** A form POST to one of the tenant's OAuth endpoints, as a device sends it. */
export function deviceForm(region: Region, tenant: string, endpoint: "device/authorize" | "token", params: Record<string, string>, headers: Record<string, string>) {
  return region.fetch(`/t/${tenant}/${endpoint}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params),
  });
}

/** The device asks for codes; must answer 200. */
export async function authorizeDevice(f: AdminFixture, device: RegisteredDevice, params: Record<string, string> = {}): Promise<DeviceAuthorizationBody> {
  const response = await deviceForm(f.region, f.tenant, "device/authorize", params, device.auth);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as DeviceAuthorizationBody;
}

/** The device polls the token endpoint with its device code. */
export function poll(f: AdminFixture, device: RegisteredDevice, deviceCode: string) {
  return deviceForm(f.region, f.tenant, "token", { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode }, device.auth);
}

/** The person's decision from the app: approve or deny a user code with their bearer header. */
export function decide(f: { region: Region; tenant: string }, decision: "approve" | "deny", userCode: string, auth: Record<string, string>) {
  return f.region.fetch(`/t/${f.tenant}/device/${decision}`, json({ userCode }, auth));
}

/** Moves the authorization's clock: its last poll `seconds` earlier (controlled time for the interval rule). */
export async function lastPolledAgo(region: Region, deviceCode: string, seconds: number) {
  const hash = await sha256Base64url(deviceCode);
  await region.db
    .prepare("UPDATE device_authorizations SET last_polled_at = ? WHERE device_code_hash = ?")
    .bind(Date.now() - seconds * 1000, hash)
    .run();
}

/** Ends the authorization's lifetime now. */
export async function expire(region: Region, deviceCode: string) {
  await region.db
    .prepare("UPDATE device_authorizations SET expires_at = ? WHERE device_code_hash = ?")
    .bind(Date.now() - 1, await sha256Base64url(deviceCode))
    .run();
}
