import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { externalIdentities, users, type ProviderName, type User } from "../db/schema";

/** The user an identity (provider, subject) is linked to in a tenant. Never looked up by e-mail. */
export async function findLinkedUser(db: Database, tenantId: string, provider: ProviderName, subject: string): Promise<User | undefined> {
  const row = await db
    .select({ user: users })
    .from(externalIdentities)
    .innerJoin(users, eq(users.id, externalIdentities.userId))
    .where(
      and(eq(externalIdentities.tenantId, tenantId), eq(externalIdentities.provider, provider), eq(externalIdentities.subject, subject)),
    )
    .get();
  return row?.user;
}

export async function emailHasAccount(db: Database, tenantId: string, email: string): Promise<boolean> {
  const row = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(sql`lower(${users.email})`, email.toLowerCase())))
    .get();
  return row !== undefined;
}

export function linkIdentity(db: Database, identity: typeof externalIdentities.$inferInsert) {
  return db.insert(externalIdentities).values(identity);
}
