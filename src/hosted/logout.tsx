/**
 * RP-Initiated Logout 1.0, `/t/{tenant}/logout` (discovery's `end_session_endpoint`): ends the browser's
 * session at the provider and the session the client's ID token belongs to, then returns to the client's
 * registered `post_logout_redirect_uri` with its `state`, or says the person is signed out. Without an
 * `id_token_hint` that speaks for the browser's person, the person confirms first (§2: a logout request
 * can be forged by any page; the confirmation form carries a CSRF token).
 */
import type { Context } from "hono";
import type { AppEnv } from "../http/context";
import { registeredClient } from "../tokens/clients";
import { issuerOf } from "../tokens/jwt";
import { revokeSession } from "../tokens/sessions";
import { redirectToClient } from "./authorize";
import { UntrustedAuthorizationRequest } from "./authorization-request";
import { browserSessionOf, endBrowserSession } from "./browser-session";
import { field, formParameters, hiddenFields, REQUEST_FIELD } from "./forms";
import { readIdTokenHint } from "./id-token-hint";
import { localeFor } from "./i18n";
import { LogoutConfirmPage, SignedOutPage } from "./pages";

export const logoutPath = (slug: string) => `/t/${slug}/logout`;

/** GET, or POST as the client's form (§2 allows both). */
export async function logout(c: Context<AppEnv>): Promise<Response> {
  const parameters = c.req.method === "POST" ? await formParameters(c) : new URL(c.req.url).searchParams;
  return answerLogout(c, parameters, false);
}

/** POST /logout/confirm: the person's own "Sign out" (its CSRF token checked before). */
export async function confirmLogout(c: Context<AppEnv>, form: URLSearchParams): Promise<Response> {
  return answerLogout(c, new URLSearchParams(field(form, REQUEST_FIELD) ?? ""), true);
}

async function answerLogout(c: Context<AppEnv>, parameters: URLSearchParams, confirmed: boolean): Promise<Response> {
  const { tenant, config, db } = c.var;
  const one = (name: string) => field(parameters, name) || undefined;
  const locale = localeFor(one("ui_locales"), c.req.header("Accept-Language"));
  const hintToken = one("id_token_hint");
  const hint = hintToken ? await readIdTokenHint(await config.signingKeys(), hintToken, issuerOf(config, tenant)) : undefined;
  if (hintToken && !hint) throw new UntrustedAuthorizationRequest("invalid_request", "The sign-out request carries an ID token that is not this service's.");
  const clientId = hint?.clientId ?? one("client_id");
  if (hint && one("client_id") && one("client_id") !== hint.clientId) {
    throw new UntrustedAuthorizationRequest("invalid_request", "The sign-out request names two different applications.");
  }
  const client = clientId ? registeredClient(config, clientId) : undefined;
  const returnTo = one("post_logout_redirect_uri");
  if (returnTo && !client?.postLogoutRedirectUris.includes(returnTo)) {
    throw new UntrustedAuthorizationRequest("invalid_redirect_uri", "The address to return to after signing out is not one the application registered.");
  }

  const session = await browserSessionOf(c, tenant);
  const speaksForPerson = hint !== undefined && (!session || session.user.id === hint.sub);
  if (!confirmed && !speaksForPerson) {
    return c.html(
      <LogoutConfirmPage
        locale={locale}
        tenantName={tenant.displayName}
        formAction={`${logoutPath(tenant.slug)}/confirm`}
        hidden={hiddenFields(c, tenant.slug, parameters)}
        clientName={client?.name}
      />,
    );
  }
  await endBrowserSession(c, tenant, session);
  // The hint was signed by this tenant's issuer: its session is this tenant's.
  if (hint?.sid) await revokeSession(db, hint.sid);
  if (returnTo) return redirectToClient(c, returnTo, { state: one("state") }, c.req.method === "POST" ? 303 : 302);
  return c.html(<SignedOutPage locale={locale} tenantName={tenant.displayName} />);
}
