import { createUser } from "../accounts/create";
import { admitRegistration } from "../accounts/rule-r";
import { guestUsername, usernameBase } from "../accounts/usernames";
import type { Database } from "../db/client";
import { uniqueViolation } from "../db/errors";
import type { AccountKind, ProviderName, Tenant, User } from "../db/schema";
import { AppError } from "../http/errors";
import { isPendingActivation } from "../policy/admission";
import type { Profile } from "./provider";
import { emailHasAccount, findLinkedUser, linkIdentity } from "./queries";

/**
 * Rule X: who an external identity is in a tenant.
 * - A known identity (provider, subject) is its user, if that user may sign in.
 * - An unknown one registers a new user, so rule R comes first: on a tenant closed to registration it is
 *   `registration_disabled`, whatever its e-mail (answering otherwise for an address that has an account
 *   would tell anyone with a provider account which addresses do).
 * - Then, if its e-mail (one the provider vouches for, rule E) already has an account here: external
 *   authentication is not available for existing accounts, and nothing is linked by e-mail (Keycloak's
 *   "first broker login", Auth0's linking guidance).
 * - The new user gets a generated username, `Guest_{random}` when the provider gave no names; is of the
 *   kind the person chose; is active or waits for an admin as the tenant says.
 */
export async function userForIdentity(
  db: Database,
  tenant: Tenant,
  provider: ProviderName,
  profile: Profile,
  account: AccountKind,
): Promise<User> {
  const user = (await findLinkedUser(db, tenant.id, provider, profile.subject)) ?? (await register(db, tenant, provider, profile, account));
  if (!user.active) throw new AppError(isPendingActivation(user) ? "account_pending_activation" : "account_inactive");
  return user;
}

async function register(db: Database, tenant: Tenant, provider: ProviderName, profile: Profile, account: AccountKind): Promise<User> {
  const { active } = admitRegistration(tenant);
  if (profile.email && (await emailHasAccount(db, tenant.id, profile.email))) {
    throw new AppError("external_auth_unavailable_for_existing_account");
  }

  const named = Boolean(profile.firstName || profile.lastName);
  try {
    return await createUser(
      db,
      tenant,
      {
        email: profile.email,
        // Rule E: the provider vouched for it, or profile.email is null.
        emailVerified: profile.email !== null,
        firstName: profile.firstName,
        lastName: profile.lastName,
        kind: account,
        active,
        roles: [],
        createdVia: provider,
        passwordHash: null,
      },
      { generatedFrom: named ? usernameBase(profile) : guestUsername() },
      (user) => [
        linkIdentity(db, {
          id: crypto.randomUUID(),
          tenantId: tenant.id,
          userId: user.id,
          provider,
          subject: profile.subject,
          email: profile.email,
          createdAt: user.createdAt,
        }),
      ],
    );
  } catch (error) {
    // The same identity signing in twice at once: the other request created the user (its e-mail or
    // identity row made ours fail, whichever came first); that user is this one's too.
    if (uniqueViolation(error) !== undefined || (error instanceof AppError && error.code === "account_exists")) {
      const linked = await findLinkedUser(db, tenant.id, provider, profile.subject);
      if (linked) return linked;
    }
    // Otherwise the e-mail got an account between our check and our write.
    if (error instanceof AppError && error.code === "account_exists") {
      throw new AppError("external_auth_unavailable_for_existing_account");
    }
    throw error;
  }
}
