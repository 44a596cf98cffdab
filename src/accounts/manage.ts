import { and, eq, sql } from "drizzle-orm";
import { alias, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { users, type Role, type Tenant, type User } from "../db/schema";
import { AppError } from "../http/errors";
import { revokeUserSessions } from "../tokens/sessions";

export interface UserChanges {
  active?: boolean;
  roles?: Role[];
  username?: string;
  firstName?: string | null;
  lastName?: string | null;
}

const isAdmin = (roles: SQLiteColumn) => sql`EXISTS (SELECT 1 FROM json_each(${roles}) WHERE value = 'admin')`;

/**
 * An admin changes a user of their tenant. A tenant always keeps an active admin: deactivating or
 * demoting the last one is refused, checked inside the UPDATE itself, so two admins demoting each other
 * at once cannot both succeed. Deactivation ends the user's sessions in the same batch; a first
 * activation is remembered (the user no longer counts as pending).
 */
export async function changeUser(db: Database, tenant: Tenant, userId: string, changes: UserChanges): Promise<User> {
  const now = new Date();
  const other = alias(users, "other");
  const losesAdmin = changes.active === false || (changes.roles !== undefined && !changes.roles.includes("admin"));
  // drizzle renders an alias in FROM by its alias only, so the table is named here.
  const anotherActiveAdmin = sql`EXISTS (SELECT 1 FROM ${users} AS ${sql.identifier("other")} WHERE ${other.tenantId} = ${tenant.id}
    AND ${other.id} <> ${userId} AND ${other.active} = 1 AND ${isAdmin(other.roles)})`;
  const keepsAnAdmin = losesAdmin ? sql`(${users.active} = 0 OR NOT ${isAdmin(users.roles)} OR ${anotherActiveAdmin})` : undefined;

  const update = db
    .update(users)
    .set({
      ...changes,
      ...(changes.active ? { activatedAt: sql`coalesce(${users.activatedAt}, ${now.getTime()})` } : {}),
      updatedAt: now,
    })
    .where(and(eq(users.tenantId, tenant.id), eq(users.id, userId), keepsAnAdmin))
    .returning();
  // Only if the update went through: a refused deactivation (the last admin) ends nothing.
  const endSessions = revokeUserSessions(db, userId, {
    onlyIf: sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${userId} AND ${users.active} = 0)`,
    now,
  });

  let updated: User | undefined;
  try {
    [[updated]] = changes.active === false ? await db.batch([update, endSessions]) : [await update];
  } catch (error) {
    if (uniqueViolation(error) === "users_tenant_username_unique") {
      throw new AppError("username_taken", { detail: `'${changes.username}' is taken` });
    }
    throw error;
  }
  if (updated) return updated;

  const exists = await db.select({ id: users.id }).from(users).where(and(eq(users.tenantId, tenant.id), eq(users.id, userId))).get();
  if (!exists) throw new AppError("not_found", { detail: "No such user in this tenant" });
  throw new AppError("forbidden", { detail: "The tenant's last active admin cannot be deactivated or demoted" });
}
