import type { UserProfile } from "../db/schema";

/**
 * The claims of the `email` scope. Rule E: an address is asserted only once proven; `email_verified`
 * always answers, so an app can tell "no proven address" from "not asked".
 */
function emailClaims(user: UserProfile) {
  return user.email && user.emailVerified ? { email: user.email, email_verified: true } : { email_verified: false };
}

/** The claims of the `profile` scope (OpenID Connect Core §5.4), those the user has. */
function profileClaims(user: UserProfile) {
  const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
  return {
    preferred_username: user.username,
    ...(name ? { name } : {}),
    ...(user.firstName ? { given_name: user.firstName } : {}),
    ...(user.lastName ? { family_name: user.lastName } : {}),
  };
}

/**
 * What the granted scopes say about the person (OpenID Connect Core §5.4), the same in the ID token and
 * at the UserInfo endpoint: `email` and `profile` each add their claims, `openid` alone none.
 */
export function scopedClaims(user: UserProfile, scope: string) {
  const granted = new Set(scope.split(" "));
  return {
    ...(granted.has("email") ? emailClaims(user) : {}),
    ...(granted.has("profile") ? profileClaims(user) : {}),
  };
}
