import * as v from "valibot";
import { accountKinds, providerNames, roleNames, type ProviderName, type User, type UserProfile } from "../db/schema";

export const UserView = v.pipe(
  v.object({
    id: v.string(),
    username: v.string(),
    email: v.nullable(v.string()),
    emailVerified: v.pipe(
      v.boolean(),
      v.description("Whether the address is proven (rule E): verified by the person, or vouched for by a provider"),
    ),
    firstName: v.nullable(v.string()),
    lastName: v.nullable(v.string()),
    displayName: v.string(),
    kind: v.picklist(accountKinds),
    active: v.boolean(),
    roles: v.array(v.picklist(roleNames)),
    identities: v.array(v.picklist(providerNames)),
  }),
  v.metadata({ ref: "User" }),
);

/** How a user is shown: the names joined, or the username when there are none. */
export function displayNameOf(user: Pick<User, "firstName" | "lastName" | "username">): string {
  return [user.firstName, user.lastName].filter(Boolean).join(" ") || user.username;
}

export function userView(user: UserProfile, identities: ProviderName[]): v.InferOutput<typeof UserView> {
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
