// A tenant's device as the device tests need one: registered by the tenant's admin, its Basic header, and
// the RFC 8628 requests it makes.
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
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

// private_key_jwt (OpenID Connect Core §9, RFC 7523): a device registered with public keys, and the client
// assertions it signs instead of sending a secret.

export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** A key a device signs its client assertions with: the private half kept by the test, the public JWK registered. */
export interface DeviceKey {
  alg: "ES256" | "RS256";
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A fresh key pair for `alg` (RSA: 2048 bits), its public JWK named by a random kid. */
export async function deviceKey(alg: DeviceKey["alg"] = "ES256"): Promise<DeviceKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = crypto.randomUUID();
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** POST /t/{tenant}/admin/devices with a JWK Set as the fixture's admin; the answer as it comes. */
export function registerWithKeys(f: AdminFixture, jwks: unknown, device = { name: "Lobby panel", kind: "panel" }) {
  return f.region.fetch(`/t/${f.tenant}/admin/devices`, json({ ...device, jwks }, f.auth));
}

/** A device registered with these public keys (must answer 201): its id. */
export async function registerKeyDevice(f: AdminFixture, ...keys: DeviceKey[]): Promise<string> {
  const response = await registerWithKeys(f, { keys: keys.map((key) => key.jwk) });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/**
 * A client assertion (RFC 7523 §3) of `deviceId` for the tenant of `f`, signed with `key`: by default
 * `iss` = `sub` = the device, `aud` the tenant's token endpoint, issued now, expiring in a minute, a fresh
 * `jti`. `claims` replace those; a claim given as undefined is left out.
 */
export function clientAssertion(f: { region: Region; tenant: string }, deviceId: string, key: DeviceKey, claims: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: deviceId,
    sub: deviceId,
    aud: `${f.region.origin}/t/${f.tenant}/token`,
    iat: now,
    exp: now + 60,
    jti: crypto.randomUUID(),
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

/** The form parameters of private_key_jwt for this assertion. */
export function assertionParams(assertion: string): Record<string, string> {
  return { client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: assertion };
}
