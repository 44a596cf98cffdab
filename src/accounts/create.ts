import type { Database } from "../db/client";
import type { Write } from "../db/batch";
import { uniqueViolation } from "../db/errors";
import type { Tenant, User } from "../db/schema";
import { AppError } from "../http/errors";
import { insertUser } from "./queries";
import { freeUsername } from "./usernames";

export type NewUser = Omit<
  User,
  | "id"
  | "tenantId"
  | "username"
  | "failedSignIns"
  | "lockedUntil"
  | "passwordChecksInFlight"
  | "passwordChecksSince"
  | "activatedAt"
  | "mustChangePassword"
  | "lastSignInAt"
  | "createdAt"
  | "updatedAt"
> &
  Partial<Pick<User, "mustChangePassword">>;

/** A username the person chose (taken → 409), or a base to generate a free one from (never refused). */
export type UsernameChoice = { chosen: string } | { generatedFrom: string };

const GENERATION_ATTEMPTS = 3;

/**
 * Creates a user of a tenant, with `alsoWrite` rows (e.g. an external identity) in the same D1 batch, so
 * that both exist or neither does. Usernames and e-mails are unique per tenant in any case; when two
 * creations race, the UNIQUE indexes decide and the loser gets `409 account_exists` (or, for a generated
 * username, simply another one).
 */
export async function createUser(
  db: Database,
  tenant: Tenant,
  person: NewUser,
  username: UsernameChoice,
  alsoWrite: (user: User) => Write[] = () => [],
): Promise<User> {
  for (let attempt = 1; ; attempt++) {
    const now = new Date();
    const user: User = {
      ...person,
      id: crypto.randomUUID(),
      tenantId: tenant.id,
      username: "chosen" in username ? username.chosen : await freeUsername(db, tenant.id, username.generatedFrom),
      failedSignIns: 0,
      lockedUntil: null,
      passwordChecksInFlight: 0,
      passwordChecksSince: null,
      mustChangePassword: person.mustChangePassword ?? false,
      lastSignInAt: null,
      activatedAt: person.active ? now : null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await db.batch([insertUser(db, user), ...alsoWrite(user)]);
      return user;
    } catch (error) {
      const index = uniqueViolation(error);
      const usernameRace = index === "users_tenant_username_unique" && "generatedFrom" in username;
      if (usernameRace && attempt < GENERATION_ATTEMPTS) continue;
      if (index?.startsWith("users_")) {
        throw new AppError("account_exists", {
          detail:
            index === "users_tenant_email_unique"
              ? "An account with this e-mail address already exists"
              : "An account with this username already exists",
        });
      }
      throw error;
    }
  }
}
