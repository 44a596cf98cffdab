import * as v from "valibot";

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

/** The shape of a new password; `passwordReuseProblem` adds the rule that needs the other fields. */
export const NewPassword = v.pipe(
  v.string(),
  v.minLength(MIN_PASSWORD_LENGTH, `At least ${MIN_PASSWORD_LENGTH} characters`),
  v.maxLength(MAX_PASSWORD_LENGTH, `At most ${MAX_PASSWORD_LENGTH} characters`),
);

/** A password must not be the account's own username or e-mail address, in any case. */
export function passwordReuseProblem(
  password: string,
  account: { username?: string | null; email?: string | null },
): string | undefined {
  const lowered = password.toLowerCase();
  const reused = [account.username, account.email].some((value) => value && value.toLowerCase() === lowered);
  return reused ? "Must not be the username or the e-mail address" : undefined;
}
