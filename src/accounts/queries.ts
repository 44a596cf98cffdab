import { and, eq, or, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { users, type User } from "../db/schema";

export function insertUser(db: Database, user: typeof users.$inferInsert) {
  return db.insert(users).values(user);
}

export async function findUserById(db: Database, tenantId: string, id: string): Promise<User | undefined> {
  return db
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id)))
    .get();
}

/** Rule L: the username or the e-mail address, in any case, within one tenant (both indexed on lower()). */
export async function findUserByLogin(db: Database, tenantId: string, login: string): Promise<User | undefined> {
  const lowered = login.toLowerCase();
  return db
    .select()
    .from(users)
    .where(
      and(
        eq(users.tenantId, tenantId),
        or(eq(sql`lower(${users.username})`, lowered), eq(sql`lower(${users.email})`, lowered)),
      ),
    )
    .get();
}

/** Renames a user; a username taken in the tenant (in any case) fails the UNIQUE index. */
export async function renameUser(db: Database, tenantId: string, userId: string, username: string): Promise<User | undefined> {
  return db
    .update(users)
    .set({ username, updatedAt: new Date() })
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)))
    .returning()
    .get();
}
