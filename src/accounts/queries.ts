import { and, desc, eq, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { externalIdentities, users, type ProviderName, type User } from "../db/schema";
import { AppError } from "../http/errors";

/**
 * A user's linked providers as a JSON array, computed in the same query that loads the user. The user's
 * id is named with its table: drizzle leaves a column of a one-table query unqualified, and inside this
 * subquery a bare "id" would be external_identities' own (every user would then list none, by a scan).
 */
export const identitiesColumn = sql<string>`(SELECT json_group_array(${externalIdentities.provider})
  FROM ${externalIdentities} WHERE ${externalIdentities.userId} = ${users}.${sql.identifier(users.id.name)})`;

export function parseIdentities(json: string | null): ProviderName[] {
  return json ? (JSON.parse(json) as ProviderName[]) : [];
}

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

/** The user `id` names in the tenant, for a route about them: `404 not_found` when there is none (another tenant's too). */
export async function userOfTenant(db: Database, tenantId: string, id: string): Promise<User> {
  const user = await findUserById(db, tenantId, id);
  if (!user) throw new AppError("not_found", { detail: "No such user in this tenant" });
  return user;
}

export type UserStatus = "active" | "inactive" | "pending";

export interface UserPage {
  status?: UserStatus;
  /** Matches username, e-mail, first or last name, anywhere, literally; ASCII letters in any case. */
  q?: string;
  limit: number;
  /** Resume after this user (newest first: created_at, then id). */
  after?: { createdAt: number; id: string };
  /** How many users a filtered page reads at most (FILTER_WINDOW; smaller in tests). */
  window?: number;
}

/**
 * A filtered page (a search, a status) reads at most this many of the tenant's users, newest first, and
 * says where to resume: a search that matches little costs each request a bounded read (about 8 ms here)
 * instead of reading a tenant of a million users at once while the database serves nobody else.
 */
export const FILTER_WINDOW = 5_000;

export interface UserListing {
  items: { user: User; identities: ProviderName[] }[];
  /** Where the next page starts; null when there is no more. */
  resumeAfter: { createdAt: number; id: string } | null;
}

const statusFilter: Record<UserStatus, SQL> = {
  active: sql`${users.active} = 1`,
  inactive: sql`${users.active} = 0`,
  pending: and(eq(users.active, false), isNull(users.activatedAt))!,
};

const keyOf = (user: { createdAt: Date; id: string }) => ({ createdAt: user.createdAt.getTime(), id: user.id });

/** The admin's user list: newest first, keyset-paginated, so a page is stable while users are added. */
export async function listUsers(db: Database, tenantId: string, page: UserPage): Promise<UserListing> {
  // instr(), not LIKE: D1 refuses LIKE patterns over 50 bytes (a long e-mail address), and instr() takes
  // `%`, `_` and `\` literally. Both sides go through SQLite's lower(), which folds ASCII letters only
  // (D1 has no ICU), so any text finds itself, and ASCII letters match in either case.
  const { q } = page;
  const matches = (column: SQL | typeof users.username) => sql`instr(lower(${column}), lower(${q})) > 0`;
  // A row value, which SQLite answers from users_tenant_created without sorting (an OR of the two cases
  // gathers every older user of the tenant, then sorts them).
  const after = page.after ? sql`(${users.createdAt}, ${users.id}) < (${page.after.createdAt}, ${page.after.id})` : undefined;
  const filtered = Boolean(q || page.status);
  // The last user of this page's window: the filters look at the users from `after` down to it.
  const windowEnd = db
    .select({ createdAt: users.createdAt, id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), after))
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(1)
    .offset((page.window ?? FILTER_WINDOW) - 1);
  const list = db
    .select({ user: users, identities: identitiesColumn })
    .from(users)
    .where(
      and(
        eq(users.tenantId, tenantId),
        page.status ? statusFilter[page.status] : undefined,
        q
          ? or(matches(users.username), matches(sql`${users.email}`), matches(sql`${users.firstName}`), matches(sql`${users.lastName}`))
          : undefined,
        after,
        // drizzle puts a subquery in parentheses itself.
        filtered ? sql`(NOT EXISTS ${windowEnd} OR (${users.createdAt}, ${users.id}) >= ${windowEnd})` : undefined,
      ),
    )
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(page.limit + 1);
  const [rows, ends] = filtered ? await db.batch([list, windowEnd]) : [await list.all(), []];
  const items = rows.slice(0, page.limit).map((row) => ({ user: row.user, identities: parseIdentities(row.identities) }));
  const last = items.at(-1)?.user;
  if (rows.length > page.limit && last) return { items, resumeAfter: keyOf(last) };
  // The window is read and the page is not full: the tenant's older users are the next page's.
  const end = ends[0];
  return { items, resumeAfter: end ? keyOf(end) : null };
}

export async function findUserWithIdentities(db: Database, tenantId: string, id: string) {
  const row = await db
    .select({ user: users, identities: identitiesColumn })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id)))
    .get();
  return row && { user: row.user, identities: parseIdentities(row.identities) };
}
