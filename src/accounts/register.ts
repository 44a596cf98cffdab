import { and, eq, gt, sql } from "drizzle-orm";
import { checkPassword } from "../credentials/check";
import { hashPassword } from "../credentials/password";
import { commit } from "../db/batch";
import { users, type Tenant, type User } from "../db/schema";
import type { Locale } from "../hosted/i18n";
import type { Scope } from "../http/context";
import { AppError } from "../http/errors";
import { startSession, type TokenResponse } from "../tokens/issue";
import { createUser } from "./create";
import { mailVerification, prepareVerification } from "./email-verification";
import { admitRegistration } from "./rule-r";
import { usernameBase } from "./usernames";

export interface Registration {
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
  username?: string;
  clientId: string;
  scope: string;
  /** The language of the confirmation message. */
  locale: Locale;
}

export type Registered =
  | { status: "active"; user: User; tokens: TokenResponse }
  | { status: "pending_activation"; user: User }
  | { status: "email_unverified"; user: User };

/**
 * Rule R, a personal MyQ account: only where the tenant allows users to register; active (with tokens)
 * only where new users are active by default, otherwise waiting for an admin, with no tokens. Rule E: the
 * address is mailed a link and code to prove it, written with the account; where the tenant requires
 * that proof, no tokens until then. A message that cannot be sent answers 503 with the account kept:
 * the same registration retried (or /email/resend) sends it again.
 */
export async function registerPersonalAccount(scope: Scope, tenant: Tenant, input: Registration): Promise<Registered> {
  const { active } = admitRegistration(tenant);
  const proof = await prepareVerification(scope, tenant.id, input.email);
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
      active,
      roles: [],
      createdVia: "registration",
      passwordHash: await hashPassword(input.password),
    },
    input.username ? { chosen: input.username } : { generatedFrom: usernameBase(input) },
    (created) => proof.writes(created.id),
  ).catch(async (error: unknown) => {
    if (!(error instanceof AppError && error.code === "account_exists")) throw error;
    const retried = await retriedRegistration(scope, tenant, input);
    if (!retried) throw error;
    // The first answer was lost, and perhaps its message: a new link and code replace the first ones.
    if (!retried.emailVerified) await commit(scope.db, proof.writes(retried.id));
    return retried;
  });
  if (!user.emailVerified) await mailVerification(scope, tenant, input.email, proof, input.locale);
  if (tenant.emailConfirmationRequired && !user.emailVerified) return { status: "email_unverified", user };
  if (!user.active) return { status: "pending_activation", user };
  const tokens = await startSession(scope, { tenant, user, clientId: input.clientId, method: "password", scope: input.scope });
  return { status: "active", user, tokens };
}

/** How long after a registration its retry is still recognised as the same registration. */
const RETRY_WINDOW_MS = 15 * 60_000;

/**
 * Rule H: a registration whose answer was lost (the database failed after the account was written) is
 * retried by the app with the same request. Such a retry is answered as the first should have been, not
 * `409 account_exists`: when the address belongs to an account registered moments ago with the same
 * names and username, and the password is its password (checked by rule L's one function, so it cannot
 * be used to guess).
 */
async function retriedRegistration(scope: Scope, tenant: Tenant, input: Registration): Promise<User | undefined> {
  const recent = await scope.db
    .select({ id: users.id, username: users.username, firstName: users.firstName, lastName: users.lastName })
    .from(users)
    .where(
      and(
        eq(users.tenantId, tenant.id),
        eq(sql`lower(${users.email})`, input.email.toLowerCase()),
        eq(users.createdVia, "registration"),
        gt(users.createdAt, new Date(Date.now() - RETRY_WINDOW_MS)),
      ),
    )
    .get();
  const same =
    recent &&
    (input.username === undefined || input.username.toLowerCase() === recent.username.toLowerCase()) &&
    (input.firstName ?? null) === recent.firstName &&
    (input.lastName ?? null) === recent.lastName;
  if (!same) return undefined;
  const check = await checkPassword(scope, tenant, { userId: recent.id }, input.password);
  if (!check.correct) return undefined;
  await commit(scope.db, [check.settle]);
  return check.user;
}
