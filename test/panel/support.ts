// Sign-in at a printer's panel as the panel tests need it: a tenant with its admin and a panel device,
// people with PINs and cards, and the panel's request.
import { expect } from "vitest";
import { adminFixture, type AdminFixture } from "../support/admin";
import type { Region } from "../support/regions";
import { json } from "../support/tenants";
import { bearer, seedUser, tokensFor, type SeededUser } from "../support/users";
import { registerDevice, type RegisteredDevice } from "../devices/support";

export interface PanelFixture extends AdminFixture {
  panel: RegisteredDevice;
}

/** A tenant of its own with these settings (its `panel` policy among them), its admin, and a registered panel. */
export async function panelFixture(settings: Record<string, unknown> = {}, region?: Region): Promise<PanelFixture> {
  const f = await adminFixture(settings, region);
  return { ...f, panel: await registerDevice(f, { name: "Panel by the lifts", kind: "panel" }) };
}

/** POST /t/{tenant}/panel/sign-in as `device` (the fixture's panel unless told), from `ip`. */
export function panelSignIn(
  f: { region: Region; tenant: string; panel: RegisteredDevice },
  body: Record<string, unknown>,
  device: RegisteredDevice = f.panel,
  ip = "192.0.2.10",
) {
  return f.region.fetch(`/t/${f.tenant}/panel/sign-in`, json(body, { ...device.auth, "CF-Connecting-IP": ip }));
}

/** A person of the tenant, signed in to the app: their seed and bearer header. */
export async function person(f: AdminFixture, seed: Parameters<typeof seedUser>[2] = {}) {
  const user = await seedUser(f.region, f.tenantId, seed);
  return { user, auth: bearer((await tokensFor(f.region, f.tenant, user.username)).access_token) };
}

/** POST /t/{tenant}/me/pin with the person's bearer header; must answer 201: the PIN. */
export async function newPin(f: { region: Region; tenant: string }, auth: Record<string, string>): Promise<string> {
  const response = await f.region.fetch(`/t/${f.tenant}/me/pin`, json({}, auth));
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { pin: string }).pin;
}

/** A person with a PIN: their seed, bearer header and PIN. */
export async function personWithPin(f: AdminFixture, seed: Parameters<typeof seedUser>[2] = {}): Promise<{ user: SeededUser; auth: Record<string, string>; pin: string }> {
  const signedIn = await person(f, seed);
  return { ...signedIn, pin: await newPin(f, signedIn.auth) };
}

/** POST /t/{tenant}/admin/users/{id}/cards as the admin: the answer as it comes. */
export function addCard(f: AdminFixture, userId: string, card: Record<string, unknown>) {
  return f.region.fetch(`/t/${f.tenant}/admin/users/${userId}/cards`, json(card, f.auth));
}

/** A card registered for the user (must answer 201): its id. */
export async function cardOf(f: AdminFixture, userId: string, number: string, more: Record<string, unknown> = {}): Promise<string> {
  const response = await addCard(f, userId, { number, ...more });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** The panel's session, from a 200 answer. */
export interface PanelTokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

/** Who a panel's access token names, through GET /me (rule P applies). */
export async function meWith(f: { region: Region; tenant: string }, tokens: PanelTokens) {
  return f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer(tokens.access_token) });
}
