import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { users } from "../db/schema";

/**
 * The tenant's only active admin, if it has just one: the user a page must not offer to deactivate or
 * demote. Offering is all this decides; the refusal itself is the admin API's own, inside its UPDATE
 * (accounts/manage.ts changeUser), so a page that is stale by a moment changes nothing it may not.
 * Two admins found are enough to know there is no last one.
 */
export async function lastActiveAdmin(db: Database, tenantId: string): Promise<string | undefined> {
  const admins = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.active, true), sql`EXISTS (SELECT 1 FROM json_each(${users.roles}) WHERE value = 'admin')`))
    .limit(2)
    .all();
  return admins.length === 1 ? admins[0]?.id : undefined;
}
