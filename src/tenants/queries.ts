import { asc, eq, gt } from "drizzle-orm";
import type { Database } from "../db/client";
import { tenants, type Tenant } from "../db/schema";
import { settingsColumns, type TenantSettings } from "./settings";

export async function findTenantBySlug(db: Database, slug: string): Promise<Tenant | undefined> {
  return db.select().from(tenants).where(eq(tenants.slug, slug)).get();
}

export function insertTenant(db: Database, tenant: typeof tenants.$inferInsert) {
  return db.insert(tenants).values(tenant);
}

/** Tenants of this region in slug order, `limit` at a time after the slug `after`. */
export async function listTenants(db: Database, page: { after?: string; limit: number }): Promise<Tenant[]> {
  return db
    .select()
    .from(tenants)
    .where(page.after === undefined ? undefined : gt(tenants.slug, page.after))
    .orderBy(asc(tenants.slug))
    .limit(page.limit)
    .all();
}

/** Writes a tenant's settings; the next request anywhere in the region reads them (no cache to expire). */
export async function saveSettings(db: Database, tenantId: string, settings: TenantSettings): Promise<Tenant> {
  const [tenant] = await db
    .update(tenants)
    .set({ ...settingsColumns(settings), updatedAt: new Date() })
    .where(eq(tenants.id, tenantId))
    .returning();
  if (!tenant) throw new Error(`tenant ${tenantId} vanished while its settings were saved`);
  return tenant;
}

export async function findTenantById(db: Database, id: string): Promise<Tenant | undefined> {
  return db.select().from(tenants).where(eq(tenants.id, id)).get();
}
