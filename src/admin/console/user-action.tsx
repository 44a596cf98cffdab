import type { User } from "../../db/schema";
import { backFields, type BackTo } from "./back";
import { CsrfField } from "./layout";

/**
 * A user's activation control, in the list and on the user's page: Activate is one click (nothing is lost);
 * Deactivate goes to a page that says what it does and asks to confirm (no script, so no dialog); the
 * tenant's last active admin is offered neither, since the admin API would refuse it.
 */
export function UserAction(props: { base: string; csrf: string; user: User; lastAdmin: boolean; back: BackTo }) {
  const { base, user } = props;
  const fields = backFields(props.back);
  if (!user.active) {
    return (
      <form method="post" action={`${base}/users/${user.id}/activate`}>
        <CsrfField token={props.csrf} />
        {Object.entries(fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <button type="submit">
          Activate <span class="vh">{user.username}</span>
        </button>
      </form>
    );
  }
  if (props.lastAdmin) return <span class="muted">Last active admin</span>;
  const query = new URLSearchParams(fields);
  return (
    <a href={`${base}/users/${user.id}/deactivate${query.size ? `?${query}` : ""}`}>
      Deactivate… <span class="vh">{user.username}</span>
    </a>
  );
}
