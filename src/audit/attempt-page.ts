import * as v from "valibot";
import type { Database } from "../db/client";
import { cursorOf, encodeCursor, PageLimit } from "../http/cursor";
import { listAttempts } from "./attempts";

/** One sign-in attempt as the admin's audit and the person's own history show it. */
export const AttemptView = v.pipe(
  v.object({
    at: v.string(),
    login: v.string(),
    userId: v.nullable(v.string()),
    success: v.boolean(),
    code: v.nullable(v.string()),
    method: v.string(),
    factor: v.pipe(v.nullable(v.string()), v.description("The second factor used or refused (totp, email, passkey, recovery); null when none was asked")),
    ip: v.nullable(v.string()),
    client: v.nullable(v.string()),
    userAgent: v.nullable(v.string()),
  }),
  v.metadata({ ref: "SignInAttempt" }),
);

export const AttemptPage = v.object({ items: v.array(AttemptView), nextCursor: v.nullable(v.string()) });

/** A page's query: the previous page's `nextCursor` (the last attempt's id) and a size. */
export const AttemptsQuery = v.object({
  cursor: v.optional(cursorOf(v.pipe(v.number(), v.integer(), v.minValue(1)))),
  limit: PageLimit,
});

/** A page of the tenant's attempts, or of one user's (`userId`), newest first, as the API answers it. */
export async function attemptPage(
  db: Database,
  tenantId: string,
  query: v.InferOutput<typeof AttemptsQuery>,
  userId?: string,
): Promise<v.InferOutput<typeof AttemptPage>> {
  const { cursor, limit } = query;
  const rows = await listAttempts(db, tenantId, { limit: limit + 1, before: cursor, userId });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      at: row.at.toISOString(),
      login: row.login,
      userId: row.userId,
      success: row.success,
      code: row.code,
      method: row.method,
      factor: row.factor,
      ip: row.ip,
      client: row.clientId,
      userAgent: row.userAgent,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
  };
}
