// A tenant's admin as the admin API's tests need one: a tenant of its own and its first admin's bearer
// header; a member who is no admin; the settings endpoint; the listings, page by page.
import { expect } from "vitest";
import type { Region } from "./regions";
import { eu } from "./regions";
import { createTenant, json, uniqueSlug } from "./tenants";
import { bearer, seedUser, tokensFor } from "./users";

export interface AdminFixture {
  region: Region;
  tenant: string;
  tenantId: string;
  adminId: string;
  /** The first admin's bearer header. */
  auth: Record<string, string>;
}

/** The bearer header of `tenant`'s first admin (created by the operator with every tenant), signed in. */
export async function adminAuth(region: Region, tenant: string): Promise<Record<string, string>> {
  return bearer((await tokensFor(region, tenant, "admin")).access_token);
}

/** A tenant of its own (with these settings) and its first admin, signed in. */
export async function adminFixture(settings: Record<string, unknown> = {}, region: Region = eu): Promise<AdminFixture> {
  const { name, body } = await createTenant(region, uniqueSlug("admin"), { settings });
  return { region, tenant: name, tenantId: body.id, adminId: body.admin.id, auth: await adminAuth(region, name) };
}

/** A signed-in user of the tenant who is not an admin: their bearer header. */
export async function memberAuth(f: { region: Region; tenant: string; tenantId: string }): Promise<Record<string, string>> {
  const member = await seedUser(f.region, f.tenantId, { username: "member" });
  return bearer((await tokensFor(f.region, f.tenant, member.username)).access_token);
}

/** PATCH /t/{tenant}/admin/settings, as the fixture's admin unless `auth` says otherwise. */
export function patchSettings(f: { region: Region; tenant: string; auth?: Record<string, string> }, patch: unknown, auth = f.auth) {
  return f.region.fetch(`/t/${f.tenant}/admin/settings`, { ...json(patch, auth), method: "PATCH" });
}

/** A page of an admin listing: newest first, and the cursor of the next page, if any. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One page of the admin listing at `path` (under /t/{tenant}/admin), which must answer 200. */
export async function listPage<T>(f: AdminFixture, path: string, query = ""): Promise<Page<T>> {
  const response = await f.region.fetch(`/t/${f.tenant}/admin${path}${query ? `?${query}` : ""}`, { headers: f.auth });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Page<T>;
}

/** Every page of the admin listing at `path`, `limit` at a time, filtered by `query`; `between` runs after the first page. */
export async function everyPage<T>(
  f: AdminFixture,
  path: string,
  limit: number,
  { query = "", between }: { query?: string; between?: () => Promise<unknown> } = {},
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set("limit", String(limit));
    if (cursor) params.set("cursor", cursor);
    const result: Page<T> = await listPage<T>(f, path, params.toString());
    expect(result.items.length).toBeLessThanOrEqual(limit);
    pages.push(result.items);
    cursor = result.nextCursor;
    if (pages.length === 1) await between?.();
  } while (cursor);
  return pages;
}
