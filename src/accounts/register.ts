import type { Tenant, User } from "../db/schema";
import { hashPassword } from "../credentials/password";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import { startSession, type TokenResponse } from "../tokens/issue";
import { createUser } from "./create";
import { usernameBase } from "./usernames";

export interface Registration {
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
  username?: string;
  clientId: string;
  scope: string;
}

export type Registered =
  | { status: "active"; user: User; tokens: TokenResponse }
  | { status: "pending_activation"; user: User };

/**
 * Rule R, a personal MyQ account: only where the tenant allows users to register; active (with tokens)
 * only where new users are active by default, otherwise waiting for an admin, with no tokens.
 */
export async function registerPersonalAccount(scope: Scope, tenant: Tenant, input: Registration): Promise<Registered> {
  if (!tenant.allowRegistration) throw new AppError("registration_disabled");
  const user = await createUser(
    scope.db,
    tenant,
    {
      email: input.email,
      // Rule E: a typed address is the person's only once proven (e-mail verification, a later issue).
      emailVerified: false,
      firstName: input.firstName ?? null,
      lastName: input.lastName ?? null,
      kind: "personal",
      active: tenant.newUsersActiveByDefault,
      roles: [],
      createdVia: "registration",
      passwordHash: await hashPassword(input.password),
    },
    input.username ? { chosen: input.username } : { generatedFrom: usernameBase(input) },
  );
  if (!user.active) return { status: "pending_activation", user };
  const tokens = await startSession(scope, { tenant, user, clientId: input.clientId, method: "password", scope: input.scope });
  return { status: "active", user, tokens };
}
