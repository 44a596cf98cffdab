/**
 * The hosted sign-in, printid as an OpenID Provider for any client (issue 13): the authorization endpoint
 * and its pages, `/t/{tenant}/authorize…`, RP-initiated logout, `/t/{tenant}/logout…`, and the pages of
 * the messages' links and the signed-in person's second factors, `/t/{tenant}/account…` (issues 14 and
 * 16), and a device's verification page, `/t/{tenant}/device` (issue 15). Pages, not API:
 * not in /openapi.json (discovery describes them); the few JSON answers here are the passkey options the
 * pages' one script fetches (passkey-script.ts). Read top to bottom, this is their map: who may call
 * what, with which limits and checks.
 */
import { Hono, type Context } from "hono";
import { limitBody } from "../http/body-limit";
import type { AppEnv } from "../http/context";
import { sameOrigin } from "../http/csrf";
import { AppError } from "../http/errors";
import { rateLimit, rateLimits } from "../http/rate-limit";
import { tenantRoute } from "../tenants/middleware";
import { accountSubmit, forgotPage, linkPage, mailResetCode } from "./account";
import { FACTOR_CHANGES, factorChange, factorsPage, mailChangeCode, passkeyCreationOptions, passkeyOptionsForChange } from "./account-factors";
import type { AuthorizationRequest } from "./authorization-request";
import { answeringClient, authorize, continueAs } from "./authorize";
import { deviceDecision, devicePage } from "./device";
import { renderHostedError } from "./errors";
import { checkFormToken, field, formParameters, REQUEST_FIELD } from "./forms";
import { hostedHeaders } from "./headers";
import { confirmLogout, logout } from "./logout";
import { passkeySignIn, passkeySignInOptionsOnPage } from "./passkey";
import { servePasskeyScript } from "./passkey-script";
import { passwordSignIn } from "./password";
import { startProvider } from "./provider-start";
import { registerPage, registerSubmit } from "./register";
import { answerSecondStep, mailSecondStepCodeOnPage, passkeyOptionsForSecondStep, setUpFirstFactorOnPage } from "./second-step";

export { continueHostedSignIn } from "./federated";

type Continuation = (c: Context<AppEnv>, fields: URLSearchParams, request: AuthorizationRequest) => Promise<Response>;

/** A link of a hosted page that continues the request in its query (the account tabs, a provider's button). */
function fromLink(next: Continuation) {
  return (c: Context<AppEnv>) => {
    const parameters = new URL(c.req.url).searchParams;
    return answeringClient(c, parameters, (request) => next(c, parameters, request));
  };
}

/** A form of a hosted page: its CSRF token first. */
function checkedForm(next: (c: Context<AppEnv>, form: URLSearchParams) => Promise<Response>) {
  return async (c: Context<AppEnv>) => {
    const form = await formParameters(c);
    await checkFormToken(c, c.var.tenant.slug, form);
    return next(c, form);
  };
}

/** A form of the sign-in's pages: its CSRF token first, then the request it carries, checked again. */
function fromForm(next: Continuation) {
  return checkedForm((c, form) => answeringClient(c, new URLSearchParams(field(form, REQUEST_FIELD) ?? ""), (request) => next(c, form, request)));
}

function pagesApp() {
  const app = new Hono<AppEnv>();
  app.onError(renderHostedError);
  app.use(hostedHeaders());
  app.use(limitBody());
  // A mounted app's own notFound is never called: the main app's would answer in JSON.
  return app;
}

const notFound = () => {
  throw new AppError("not_found", { detail: "There is no such page." });
};

/** `/t/{tenant}/authorize`: the client's request comes from any site (GET, or its form POST). */
export const authorizeApp = pagesApp();
authorizeApp.get("/", rateLimit(rateLimits.oauth), tenantRoute(), authorize);
authorizeApp.post("/", rateLimit(rateLimits.oauth), tenantRoute(), authorize);
authorizeApp.get("/register", rateLimit(rateLimits.oauth), tenantRoute(), fromLink((c, _fields, request) => registerPage(c, request, {})));
authorizeApp.get("/provider/:provider{apple|google|microsoft}", rateLimit(rateLimits.oauth), tenantRoute(), fromLink(startProvider));
// The page's own forms: from this origin only, each with its token.
authorizeApp.post("/password", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), fromForm(passwordSignIn));
authorizeApp.post("/register", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), fromForm(registerSubmit));
authorizeApp.post("/continue", sameOrigin(), rateLimit(rateLimits.oauth), tenantRoute(), fromForm(continueAs));
// A passkey alone (with the passkey script): its options as JSON, then its assertion as the page's form.
authorizeApp.post("/passkey/options", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), fromForm(passkeySignInOptionsOnPage));
authorizeApp.post("/passkey", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), fromForm(passkeySignIn));
// The pages' one script: static, the same for every tenant (no tenant looked up), kept by browsers.
authorizeApp.get("/passkey.js", servePasskeyScript);
// The second step a sign-in on the page owes (rule M): the answer, a mailed code, a first factor set up there.
authorizeApp.post("/mfa", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), fromForm(answerSecondStep));
authorizeApp.post("/mfa/email", sameOrigin(), rateLimit(rateLimits.mail), tenantRoute(), fromForm(mailSecondStepCodeOnPage));
authorizeApp.post("/mfa/enrol", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), fromForm(setUpFirstFactorOnPage));
authorizeApp.post("/mfa/passkey", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), fromForm(passkeyOptionsForSecondStep));
authorizeApp.all("*", notFound);

/** `/t/{tenant}/logout`: the client's request (GET or its form POST), and the person's confirmation. */
export const logoutApp = pagesApp();
logoutApp.get("/", rateLimit(rateLimits.oauth), tenantRoute(), logout);
logoutApp.post("/", rateLimit(rateLimits.oauth), tenantRoute(), logout);
logoutApp.post("/confirm", sameOrigin(), rateLimit(rateLimits.oauth), tenantRoute(), checkedForm(confirmLogout));
logoutApp.all("*", notFound);

/** `/t/{tenant}/account`: the pages of printid's messages' links, and "Forgot your password?". */
export const accountApp = pagesApp();
for (const [path, action] of [["/email/verify", "verify"], ["/password/reset", "reset"], ["/invitation", "invitation"]] as const) {
  accountApp.get(path, rateLimit(rateLimits.oauth), tenantRoute(), linkPage(action));
  accountApp.post(path, sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), accountSubmit(action));
}
// A reset's second step (rule M): a code by e-mail
accountApp.post("/password/reset/code", sameOrigin(), rateLimit(rateLimits.mail), tenantRoute(), checkedForm(mailResetCode));
accountApp.get("/password/forgot", rateLimit(rateLimits.oauth), tenantRoute(), forgotPage);
accountApp.post("/password/forgot", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), accountSubmit("forgot"));
// The signed-in person's second factors (rule M): each change after a fresh second factor.
accountApp.get("/factors", rateLimit(rateLimits.oauth), tenantRoute(), factorsPage);
for (const change of FACTOR_CHANGES) {
  accountApp.post(`/factors/${change}`, sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), checkedForm(factorChange(change)));
}
accountApp.post("/factors/code", sameOrigin(), rateLimit(rateLimits.mail), tenantRoute(), checkedForm(mailChangeCode));
// The passkey script's options: a new passkey's (no step first), and a passkey's for a change's step.
accountApp.post("/factors/passkey/options", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), checkedForm(passkeyCreationOptions));
accountApp.post("/factors/passkey/step", sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), checkedForm(passkeyOptionsForChange));
accountApp.all("*", notFound);

/**
 * `/t/{tenant}/device`, RFC 8628's `verification_uri`: the page alone, its middleware on its own routes,
 * since the device API (`/t/{tenant}/device/authorize`, `/approve`…) lives under the same path. Guessing
 * codes costs the credentials limit, on the page as from the app.
 */
export const deviceApp = new Hono<AppEnv>();
deviceApp.onError(renderHostedError);
deviceApp.get("/", hostedHeaders(), rateLimit(rateLimits.credentials), tenantRoute(), devicePage);
deviceApp.post("/", hostedHeaders(), limitBody(), sameOrigin(), rateLimit(rateLimits.credentials), tenantRoute(), async (c) => {
  const form = await formParameters(c);
  await checkFormToken(c, c.var.tenant.slug, form);
  return deviceDecision(c, form);
});
