import * as v from "valibot";
import type { ListedSession } from "../tokens/sessions";

/** A live session as its person and the tenant's admins see it. */
export const SessionView = v.pipe(
  v.object({
    id: v.string(),
    client: v.pipe(v.string(), v.description("The client the session was opened for")),
    method: v.pipe(v.string(), v.description("`password` or a provider name")),
    createdAt: v.pipe(v.string(), v.description("The sign-in that opened it (ISO 8601)")),
    lastUsedAt: v.pipe(
      v.nullable(v.string()),
      v.description("Its last refresh (ISO 8601); null if never refreshed. Requests with an access token are not recorded"),
    ),
    ip: v.nullable(v.string()),
    userAgent: v.nullable(v.string()),
    current: v.pipe(v.boolean(), v.description("The session of the access token that asks")),
  }),
  v.metadata({ ref: "Session" }),
);

export const SessionList = v.pipe(v.object({ items: v.array(SessionView) }), v.metadata({ ref: "SessionList" }));

/** The list's answer; `currentId` is the asking bearer's own session. */
export function sessionList(rows: ListedSession[], currentId: string): v.InferOutput<typeof SessionList> {
  return {
    items: rows.map((row) => ({
      id: row.id,
      client: row.clientId,
      method: row.method,
      createdAt: row.createdAt.toISOString(),
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
      ip: row.ip,
      userAgent: row.userAgent,
      current: row.id === currentId,
    })),
  };
}
