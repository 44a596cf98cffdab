import { hashPassword } from "../../src/credentials/password";
import type { TokenResponse } from "../../src/tokens/issue";
import type { Region } from "./regions";
import { json } from "./tenants";

export const CLIENT_ID = "printid-mobile";
export const PASSWORD = "correct horse battery";

export type { TokenResponse } from "../../src/tokens/issue";

export interface SeededUser {
  id: string;
  username: string;
  email: string;
  password: string;
}

/**
 * Puts a user straight into a region's D1, as the admin API (another issue) will: a seed for tests of
 * sign-in and tokens, whose own paths are then driven through HTTP.
 */
export async function seedUser(
  region: Region,
  tenantId: string,
  user: Partial<{ username: string; email: string; password: string; active: boolean; activatedAt: number | null; roles: string[] }> = {},
): Promise<SeededUser> {
  const id = crypto.randomUUID();
  const username = user.username ?? `user-${id.slice(0, 8)}`;
  const email = user.email ?? `${username}@example.com`;
  const password = user.password ?? PASSWORD;
  const active = user.active ?? true;
  const now = Date.now();
  await region.db
    .prepare(
      `INSERT INTO users (id, tenant_id, username, email, first_name, last_name, kind, active, activated_at, roles,
        created_via, password_hash, failed_sign_ins, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'Test', 'User', 'work', ?, ?, ?, 'admin', ?, 0, ?, ?)`,
    )
    .bind(id, tenantId, username, email, active ? 1 : 0, user.activatedAt === undefined ? (active ? now : null) : user.activatedAt,
      JSON.stringify(user.roles ?? []), await hashPassword(password), now, now)
    .run();
  return { id, username, email, password };
}

export function signIn(region: Region, tenant: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return region.fetch(`/t/${tenant}/sign-in`, json({ clientId: CLIENT_ID, ...body }, headers));
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
export function tokenRequest(region: Region, tenant: string, params: Record<string, string>) {
  return region.fetch(`/t/${tenant}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...params }),
  });
}
