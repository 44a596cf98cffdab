import { z } from "@hono/zod-openapi";
import { accountKinds, providerNames, roleNames, type ProviderName, type User } from "../db/schema";

export const UserView = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    emailVerified: z
      .boolean()
      .openapi({ description: "Whether the address is proven (rule E): verified by the person, or vouched for by a provider" }),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    displayName: z.string(),
    kind: z.enum(accountKinds),
    active: z.boolean(),
    roles: z.array(z.enum(roleNames)),
    identities: z.array(z.enum(providerNames)),
  })
  .openapi("User");

/** How a user is shown: the names joined, or the username when there are none. */
export function displayNameOf(user: Pick<User, "firstName" | "lastName" | "username">): string {
  return [user.firstName, user.lastName].filter(Boolean).join(" ") || user.username;
}

export function userView(user: User, identities: ProviderName[]): z.infer<typeof UserView> {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    emailVerified: user.emailVerified,
    firstName: user.firstName,
    lastName: user.lastName,
    displayName: displayNameOf(user),
    kind: user.kind,
    active: user.active,
    roles: user.roles,
    identities: [...new Set(identities)],
  };
}
