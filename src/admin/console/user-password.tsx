import * as v from "valibot";
import type { User } from "../../db/schema";
import { AppError } from "../../http/errors";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NewPassword } from "../../credentials/password-policy";
import { setPasswordByAdmin } from "../../credentials/temporary-password";
import { CSRF_FIELD } from "./csrf";
import type { ConsoleContext } from "./env";
import { formOf } from "./forms";
import { CsrfField } from "./layout";
import { backToUser, userOfPath } from "./user-path";

/** The form's fields: the admin API's own password rules (credentials/password-policy.ts), said as they are. */
const TemporaryPasswordForm = v.object({
  [CSRF_FIELD]: v.string(),
  password: NewPassword,
  mustChangePassword: v.optional(v.literal("on")),
});

/**
 * POST /users/{id}/temporary-password: the admin API's own `setPasswordByAdmin` (as PATCH
 * /admin/users/{id} { password, mustChangePassword }): the password, the obligation to change it at the
 * next sign-in when ticked, the lockout cleared, and every session of the user ended. A password the
 * policy refuses is the console's 400 page with the reason. Not for the admin's own account: it would end
 * this very session, and a password they must change would keep them out of the console.
 */
export async function setTemporaryPassword(c: ConsoleContext) {
  const user = await userOfPath(c);
  if (user.id === c.var.principal.user.id) {
    throw new AppError("forbidden", { detail: "Your own password is not set here: change it from your account." });
  }
  const form = await formOf(c, TemporaryPasswordForm);
  if (form instanceof Response) return form;
  const mustChange = form.mustChangePassword === "on";
  await setPasswordByAdmin(c.var.db, user, form.password, mustChange);
  return backToUser(c, user, mustChange ? "temporary_password_set" : "password_set");
}

/** The form on the user's page (not on the admin's own). */
export function TemporaryPasswordCard(props: { base: string; csrf: string; user: User }) {
  const { base, user } = props;
  return (
    <section class="card" aria-labelledby="password">
      <h2 id="password">Set a password</h2>
      <form method="post" action={`${base}/users/${user.id}/temporary-password`}>
        <CsrfField token={props.csrf} />
        <div class="field">
          <label for="temporary-password">New password</label>
          <input
            type="password"
            id="temporary-password"
            name="password"
            required
            minlength={MIN_PASSWORD_LENGTH}
            maxlength={MAX_PASSWORD_LENGTH}
            autocomplete="new-password"
            aria-describedby="temporary-password-hint"
          />
          <span class="hint" id="temporary-password-hint">
            Tell it to {user.username} yourself: printid sends no message. Every session of theirs ends.
          </span>
        </div>
        <div class="check">
          <input type="checkbox" id="must-change" name="mustChangePassword" checked aria-describedby="must-change-hint" />
          <div>
            <label for="must-change">Must change it at next sign-in</label>
            <span class="hint" id="must-change-hint">Their next sign-in with it asks them to choose their own first.</span>
          </div>
        </div>
        <button type="submit" class="secondary">Set password</button>
      </form>
    </section>
  );
}
