import { drizzle } from "drizzle-orm/d1";
import { decodeJwt } from "jose";
import { hashPassword } from "../../src/credentials/password";
import { externalIdentities, users, type ProviderName, type Role } from "../../src/db/schema";
import type { TokenResponse } from "../../src/tokens/issue";
import { eu, type Region } from "./regions";
import { createTenant, json, uniqueSlug } from "./tenants";

export const CLIENT_ID = "printid-mobile";
export const PASSWORD = "correct horse battery";
/** A password no seeded user has. */
export const WRONG_PASSWORD = "not the password at all";

export type { TokenResponse } from "../../src/tokens/issue";

export interface SeededUser {
  id: string;
  username: string;
  email: string;
  password: string;
}

/**
 * Puts a work account straight into a region's D1 through the schema (a column with a default needs no
 * change here): a seed for tests of sign-in and tokens, whose own paths are then driven through HTTP.
 */
export type UserSeed = Partial<{ username: string; email: string; password: string; active: boolean; activatedAt: number | null; roles: Role[] }>;

export async function seedUser(region: Region, tenantId: string, user: UserSeed = {}): Promise<SeededUser> {
  const id = crypto.randomUUID();
  const username = user.username ?? `user-${id.slice(0, 8)}`;
  const email = user.email ?? `${username}@example.com`;
  const password = user.password ?? PASSWORD;
  const active = user.active ?? true;
  const now = new Date();
  const activatedAt = user.activatedAt === undefined ? (active ? now.getTime() : null) : user.activatedAt;
  await drizzle(region.db)
    .insert(users)
    .values({
      id,
      tenantId,
      username,
      email,
      firstName: "Test",
      lastName: "User",
      kind: "work",
      active,
      activatedAt: activatedAt === null ? null : new Date(activatedAt),
      roles: user.roles ?? [],
      createdVia: "admin",
      passwordHash: await hashPassword(password),
      createdAt: now,
      updatedAt: now,
    });
  return { id, username, email, password };
}

/** Links an external identity to a user, straight into D1 through the schema. */
export async function seedIdentity(region: Region, identity: { tenantId: string; userId: string; provider: ProviderName; subject: string; email?: string }) {
  await drizzle(region.db)
    .insert(externalIdentities)
    .values({ id: crypto.randomUUID(), email: null, ...identity, createdAt: new Date() });
}

export function signIn(region: Region, tenant: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return region.fetch(`/t/${tenant}/sign-in`, json({ clientId: CLIENT_ID, ...body }, headers));
}

/** POST /t/{tenant}/register as the app sends it: the test client and password unless `body` says otherwise. */
export function registration(region: Region, tenant: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return region.fetch(`/t/${tenant}/register`, json({ clientId: CLIENT_ID, password: PASSWORD, ...body }, headers));
}

/** Signs in and returns the tokens, failing the test if sign-in does not succeed. */
export async function tokensFor(region: Region, tenant: string, login: string, password = PASSWORD): Promise<TokenResponse> {
  const response = await signIn(region, tenant, { login, password });
  if (response.status !== 200) throw new Error(`sign-in of ${login}: ${response.status} ${await response.text()}`);
  return (await response.json()) as TokenResponse;
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** A token request as the app sends it: form-encoded (RFC 6749). */
export function tokenRequest(region: Region, tenant: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  return region.fetch(`/t/${tenant}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...params }),
  });
}

/** GET /t/{tenant}/me with an access token: the response, whatever it is. */
export function fetchMe(region: Region, tenant: string, accessToken: string) {
  return region.fetch(`/t/${tenant}/me`, { headers: bearer(accessToken) });
}

/** A fresh tenant of `region` (with these settings) and one active user in it (`user` for the seed). */
export async function tenantWithUser(region: Region = eu, settings: Record<string, unknown> = {}, user: UserSeed = {}) {
  const { name, body } = await createTenant(region, uniqueSlug(), { settings });
  return { region, name, tenantId: body.id, user: await seedUser(region, body.id, user) };
}

/** tenantWithUser, the user signed in with the password (scope openid): their tokens and session. */
export async function signedInUser(region: Region = eu, settings: Record<string, unknown> = {}) {
  const fixture = await tenantWithUser(region, settings);
  const tokens = await tokensFor(region, fixture.name, fixture.user.username);
  return { ...fixture, tokens, sessionId: decodeJwt(tokens.access_token).sid as string };
}
