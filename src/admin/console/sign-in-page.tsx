import type { Tenant } from "../../db/schema";
import { signInCsrfToken } from "./csrf";
import { consolePath, type ConsoleContext } from "./env";
import { BarePage, CsrfField, Message } from "./layout";

export interface SignInView {
  status?: 200 | 400 | 401 | 403 | 429;
  /** A refusal (wrong password, not an admin...). */
  error?: string;
  /** News (signed out). */
  notice?: string;
  /** The login typed, kept on a failed attempt; never the password. */
  login?: string;
  headers?: Record<string, string>;
}

/** The console's sign-in form, with MyQ credentials; its CSRF token is a double-submit cookie. */
export function renderSignIn(c: ConsoleContext, tenant: Tenant, view: SignInView = {}): Response | Promise<Response> {
  const base = consolePath(tenant.slug);
  const csrf = signInCsrfToken(c, tenant.slug);
  for (const [name, value] of Object.entries(view.headers ?? {})) c.header(name, value);
  return c.html(
    <BarePage title="Sign in" heading={`${tenant.displayName}: administration`}>
      <Message text={view.notice} />
      <Message text={view.error} error />
      <form method="post" action={`${base}/sign-in`} class="card">
        <CsrfField token={csrf} />
        <div class="field">
          <label for="login">Username or e-mail</label>
          <input type="text" id="login" name="login" value={view.login ?? ""} autocomplete="username" required autofocus />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input type="password" id="password" name="password" autocomplete="current-password" required />
        </div>
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">For the tenant's administrators. Other users sign in through the app.</p>
    </BarePage>,
    view.status ?? 200,
  );
}
