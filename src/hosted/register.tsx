import type { Context } from "hono";
import * as v from "valibot";
import { RegisterBody } from "../accounts/routes";
import { registerPersonalAccount } from "../accounts/register";
import { isSecondStep } from "../factors/challenges";
import { scopeOf, type AppEnv } from "../http/context";
import { AppError } from "../http/errors";
import { fieldErrors } from "../http/validation";
import { authorizePath, clientParameters, issueCode, localeOf, pageErrorOf, signedInWith } from "./authorize";
import type { AuthorizationRequest } from "./authorization-request";
import { HOSTED_CLIENT_ID, keepBrowserSession } from "./browser-session";
import { field, hiddenFields } from "./forms";
import { allowFormTarget } from "./headers";
import { PendingActivationPage, RegisterPage, type PageError } from "./pages";
import { secondStepPage } from "./second-step";

const FIELDS = ["email", "firstName", "lastName", "username"] as const;
type Values = Partial<Record<(typeof FIELDS)[number], string>>;

/** The registration page for this request ("Create an account", or `prompt=create`). */
export async function registerPage(c: Context<AppEnv>, request: AuthorizationRequest, view: { values?: Values; error?: PageError; status?: 400 | 403 | 409 | 429 | 503 }): Promise<Response> {
  const { tenant } = c.var;
  const parameters = clientParameters(request.parameters);
  allowFormTarget(c, request.redirectUri);
  return c.html(
    <RegisterPage
      locale={localeOf(c, parameters)}
      tenantName={tenant.displayName}
      formAction={`${authorizePath(tenant)}/register`}
      hidden={hiddenFields(c, tenant.slug, parameters)}
      values={view.values}
      error={view.error}
      signInHref={`${authorizePath(tenant)}?${parameters}`}
      clientName={request.client.name}
    />,
    view.status ?? 200,
  );
}

/**
 * POST /authorize/register: a personal MyQ account through the API's own registration (rule R: only
 * where the tenant allows it; active at once, or waiting for an admin). Active: signed in, and the
 * request gets its code (or first sets up the second factor a tenant requiring one asks: rule M).
 * Waiting: said plainly, with no session.
 */
export async function registerSubmit(c: Context<AppEnv>, form: URLSearchParams, request: AuthorizationRequest): Promise<Response> {
  const { tenant } = c.var;
  const values: Values = Object.fromEntries(FIELDS.map((name) => [name, field(form, name)?.trim() || undefined]));
  const parsed = v.safeParse(RegisterBody, { ...values, password: field(form, "password") ?? "", clientId: HOSTED_CLIENT_ID });
  if (!parsed.success) {
    return registerPage(c, request, { values, status: 400, error: { code: "validation_failed", fieldErrors: fieldErrors(parsed.issues) } });
  }
  try {
    const locale = localeOf(c, request.parameters);
    const registered = await registerPersonalAccount(scopeOf(c), tenant, { ...parsed.output, scope: "openid", locale });
    if (registered.status !== "active") {
      return c.html(
        <PendingActivationPage
          locale={locale}
          waitingFor={registered.status === "email_unverified" ? "email" : "activation"}
          tenantName={tenant.displayName}
          email={registered.user.email ?? undefined}
          signInHref={`${authorizePath(tenant)}?${clientParameters(request.parameters)}`}
        />,
        202,
      );
    }
    keepBrowserSession(c, tenant, registered.tokens.refresh_token);
    return issueCode(c, request, signedInWith(registered.tokens, "password"), 303);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (isSecondStep(error)) return secondStepPage(c, request, error);
    return registerPage(c, request, { values, status: error.status as 403 | 409, error: pageErrorOf(error) });
  }
}
