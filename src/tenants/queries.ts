import { asc, eq, gt } from "drizzle-orm";
import type { Database } from "../db/client";
import { tenants, type Tenant } from "../db/schema";

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
