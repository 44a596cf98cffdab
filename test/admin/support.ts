// The admin users API (/t/{tenant}/admin/users) as an admin's client calls it, for the users-*.test.ts
// files: calls as the fixture's admin (support/admin.ts), the bodies of new accounts, the listing walked
// page by page, and the rows the API must (not) have changed.
import type * as v from "valibot";
import { expect } from "vitest";
import type { UserView as UserViewSchema } from "../../src/accounts/view";
import { everyPage, listPage, type AdminFixture, type Page } from "../support/admin";
import { countOf } from "../support/rows";
import { PASSWORD, registration, type TokenResponse, tokensFor } from "../support/users";

export type UserView = v.InferOutput<typeof UserViewSchema>;

/** Registration open, new users wait for an admin. */
export const MODERATED = { allowRegistration: true, newUsersActiveByDefault: false };

/** A call to the tenant's admin API, as the fixture's admin unless `auth` says otherwise. */
export function api(f: AdminFixture, method: string, path: string, body?: unknown, auth = f.auth) {
  const headers = body === undefined ? auth : { ...auth, "Content-Type": "application/json" };
  return f.region.fetch(`/t/${f.tenant}/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The body of a new work account; `overrides` win (an `undefined` drops a field). */
export function person(username: string, overrides: Record<string, unknown> = {}) {
  return { username, email: `${username}@example.com`, firstName: "Test", lastName: "User", password: PASSWORD, ...overrides };
}

/** Creates a user through the API, which must answer 201. */
export async function create(f: AdminFixture, body: Record<string, unknown>): Promise<UserView> {
  const response = await api(f, "POST", "/users", body);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as UserView;
}

export async function patch(f: AdminFixture, id: string, changes: unknown, auth = f.auth) {
  return api(f, "PATCH", `/users/${id}`, changes, auth);
}

/** One page of the users listing, which must answer 200. */
export function page(f: AdminFixture, query = ""): Promise<Page<UserView>> {
  return listPage<UserView>(f, "/users", query);
}

export const usernames = async (f: AdminFixture, query = "") => (await page(f, query)).items.map((user) => user.username);

/** The usernames of every page of the users listing, `limit` at a time; `between` runs after the first page. */
export async function walk(f: AdminFixture, query: string, limit: number, between?: () => Promise<unknown>) {
  const pages = await everyPage<UserView>(f, "/users", limit, { query, between });
  return pages.map((items) => items.map((user) => user.username));
}

/** Signs a user of the fixture's tenant in with the test password. */
export async function tokensOf(f: AdminFixture, login: string): Promise<TokenResponse> {
  return tokensFor(f.region, f.tenant, login);
}

export function userRow(f: AdminFixture, id: string) {
  return f.region.db.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

export function userCount(f: AdminFixture): Promise<number> {
  return countOf(f.region, "SELECT count(*) AS n FROM users WHERE tenant_id = ?", f.tenantId);
}

/** Active admins of the tenant, as stored. */
export function activeAdmins(f: AdminFixture): Promise<number> {
  return countOf(
    f.region,
    `SELECT count(*) AS n FROM users WHERE tenant_id = ? AND active = 1
     AND EXISTS (SELECT 1 FROM json_each(users.roles) WHERE value = 'admin')`,
    f.tenantId,
  );
}

/** Registers a personal account through the public endpoint (the tenant must allow it). */
export async function register(f: AdminFixture, username: string): Promise<UserView> {
  const response = await registration(f.region, f.tenant, { username, email: `${username}@example.com` });
  expect([201, 202]).toContain(response.status);
  return ((await response.json()) as { user: UserView }).user;
}
