import type { Database } from "../db/client";
import { users } from "../db/schema";

export function insertUser(db: Database, user: typeof users.$inferInsert) {
  return db.insert(users).values(user);
}
