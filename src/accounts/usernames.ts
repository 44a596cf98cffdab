import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { users } from "../db/schema";

/** Usernames are 3–64 of letters, digits, `.`, `_`, `-`, starting with a letter or digit (accounts/fields.ts). */
const MAX_BASE = 48;

function randomDigits(count: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(count));
  return Array.from(bytes, (byte) => String(byte % 10)).join("");
}

/** Letters without accents, lower-case, runs of anything else folded into one `.`. */
function slugPart(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ".")
    .replace(/^\.+|\.+$/g, "");
}

/**
 * What a generated username is made from: the names (`jane.doe`), else the e-mail's local part. With no
 * names at all the account is a guest: `Guest_{random}` (rule X). Always a valid username.
 */
export function usernameBase(person: { firstName?: string | null; lastName?: string | null; email?: string | null }): string {
  const fromNames = slugPart([person.firstName, person.lastName].filter(Boolean).join(" "));
  const fromEmail = slugPart(person.email?.split("@")[0] ?? "");
  const base = (fromNames || fromEmail).slice(0, MAX_BASE).replace(/\.+$/, "");
  return base.length >= 3 ? base : `${base || "user"}${randomDigits(4)}`;
}

/** The name of an account created with no first or last name: `Guest_` and eight random digits. */
export function guestUsername(): string {
  return `Guest_${randomDigits(8)}`;
}

/**
 * A username free in the tenant: `base` itself, or `base` with a random number. One query checks all the
 * candidates at once; the UNIQUE index still has the last word when two registrations race (the caller
 * retries on a username conflict).
 */
export async function freeUsername(db: Database, tenantId: string, base: string): Promise<string> {
  const candidates = [base, ...Array.from({ length: 4 }, (_, i) => `${base}${i < 2 ? "." : ""}${randomDigits(i < 2 ? 3 : 6)}`)];
  const taken = await db
    .select({ username: sql<string>`lower(${users.username})` })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), inArray(sql`lower(${users.username})`, candidates.map((c) => c.toLowerCase()))))
    .all();
  const takenSet = new Set(taken.map((row) => row.username));
  return candidates.find((candidate) => !takenSet.has(candidate.toLowerCase())) ?? `${base}.${randomDigits(10)}`;
}
