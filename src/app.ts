/**
 * The route table, and the API's map: read top to bottom, each line is a method, a path, the guards that
 * say who may call it (guards.ts: rate limits, public per tenant, signed-in user, tenant admin,
 * operator) and the route a room declares (its OpenAPI description, validators and handler).
 * ../shared/API.md describes the same API in prose; /openapi.json is generated from these lines.
 */
import { Hono } from "hono";
import { generateSpecs } from "hono-openapi";
import { resendEmailVerification, verifyEmail } from "./accounts/email-routes";
import { acceptAnInvitation } from "./accounts/invitation-routes";
import { me, mySignInAttempts, updateMe } from "./accounts/me";
import { register } from "./accounts/routes";
import { endMySession, listMySessions } from "./accounts/sessions";
import { consoleApp } from "./admin/console";
import { getUserFactors, resetUserFactors } from "./admin/factors";
import { downloadSignInAttemptArchive, listSignInAttemptArchives } from "./admin/attempt-archives";
import { endUserSession, listUserSessions, signOutEverywhere } from "./admin/sessions";
import { getSettings, patchSettings } from "./admin/settings";
import { listSignInAttempts } from "./admin/sign-in-attempts";
import { createUser, getUser, listUsers, patchUser, sendInvitation } from "./admin/users";
import { configOf } from "./config";
import { forgotPassword, resetForgottenPassword } from "./credentials/password-reset-routes";
import { changePassword, signIn } from "./credentials/routes";
import { withinD1Budget } from "./db/guard";
import { createDevice, listDevices, revokeDevice } from "./devices/admin-routes";
import { approveDevice, denyDevice, pendingDeviceAuthorization } from "./devices/approval-routes";
import { deviceAuthorization } from "./devices/authorize-route";
import {
  addMyPasskey,
  listMyPasskeys,
  myPasskeyOptions,
  passkeySignIn,
  passkeySignInOptions,
  removeMyPasskey,
  renameMyPasskey,
  secondStepPasskeyOptions,
} from "./factors/passkey-routes";
import { addUserCard, listMyCards, listUserCards, removeMyCard, removeUserCard } from "./panel/card-routes";
import { newMyPin, newUserPin } from "./panel/pin-routes";
import { panelSignIn } from "./panel/sign-in-route";
import { addMyEmailFactor, confirmMyTotp, listMyFactors, newMyRecoveryCodes, removeMyFactor, startMyTotp } from "./factors/factor-routes";
import { enrolInSecondStep, finishSecondStep, mailSecondStepCode } from "./factors/mfa-routes";
import { authorize, idToken, providerCallbacks } from "./federation/routes";
import { limits, operator, publicTenant, signedIn, tenantAdmin } from "./guards";
import { accountApp, authorizeApp, continueHostedSignIn, deviceApp, logoutApp } from "./hosted";
import { limitBody } from "./http/body-limit";
import type { AppEnv } from "./http/context";
import { health } from "./http/health";
import { finishDocument, openApiDocumentation } from "./http/openapi-document";
import { handleError, handleNotFound } from "./http/problem";
import { moveTenant } from "./operator/tenant-moves";
import { createTenant, listTenants } from "./operator/tenants";
import { tenantCard } from "./tenants/card";
import { discovery, jwks } from "./tokens/discovery";
import { revoke, speaksOAuth, token } from "./tokens/routes";
import { userinfo } from "./tokens/userinfo";

export { MAX_BODY_BYTES } from "./http/body-limit";

export function buildApp() {
  const app = new Hono<AppEnv>();

  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use(async function context(c, next) {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    const config = configOf(c.env);
    c.set("config", config);
    await withinD1Budget(config.d1BudgetMs, next);
    c.res.headers.set("X-Request-Id", requestId);
  });
  // The OAuth endpoints answer every error, even a refused body, in RFC 6749's shape.
  app.use("/t/:tenant/token", speaksOAuth);
  app.use("/t/:tenant/revoke", speaksOAuth);
  app.use("/t/:tenant/device/authorize", speaksOAuth);
  // The admin console answers people with pages, its refusals included: it is mounted before the API's
  // body limit, and applies its own guards, limits and body limit inside, so that its onError renders them.
  app.route("/t/:tenant/console", consoleApp);
  // The hosted sign-in (OpenID Provider): pages likewise, with their own guards inside (src/hosted/index.ts).
  app.route("/t/:tenant/authorize", authorizeApp);
  app.route("/t/:tenant/logout", logoutApp);
  app.route("/t/:tenant/account", accountApp);
  app.route("/t/:tenant/device", deviceApp);
  app.use(limitBody());

  // Public
  app.get("/health", ...health);
  app.get("/t/:tenant", ...publicTenant, ...tenantCard);
  app.get("/t/:tenant/.well-known/openid-configuration", ...publicTenant, ...discovery);
  app.get("/t/:tenant/.well-known/jwks.json", ...publicTenant, ...jwks);

  // Sign-in with MyQ credentials, and registration of a personal MyQ account
  app.post("/t/:tenant/sign-in", ...limits.credentials, ...publicTenant, ...signIn);
  // The second step a sign-in owes (rule M): its mfaToken and a code, a mailed code, or a first factor set up there
  app.post("/t/:tenant/sign-in/mfa", ...limits.credentials, ...publicTenant, ...finishSecondStep);
  app.post("/t/:tenant/sign-in/mfa/email", ...limits.mail, ...publicTenant, ...mailSecondStepCode);
  app.post("/t/:tenant/sign-in/mfa/enrol", ...limits.credentials, ...publicTenant, ...enrolInSecondStep);
  app.post("/t/:tenant/sign-in/mfa/passkey", ...limits.credentials, ...publicTenant, ...secondStepPasskeyOptions);
  app.post("/t/:tenant/register", ...limits.credentials, ...publicTenant, ...register);
  // Sign-in with a passkey alone (WebAuthn): the options, then the browser's assertion
  app.post("/t/:tenant/sign-in/passkey/options", ...limits.credentials, ...publicTenant, ...passkeySignInOptions);
  app.post("/t/:tenant/sign-in/passkey", ...limits.credentials, ...publicTenant, ...passkeySignIn);

  // Proofs mailed to a person (src/mail): e-mail confirmation…
  app.post("/t/:tenant/email/verify", ...limits.credentials, ...publicTenant, ...verifyEmail);
  app.post("/t/:tenant/email/resend", ...limits.mail, ...publicTenant, ...resendEmailVerification);
  // …password reset
  app.post("/t/:tenant/password/forgot", ...limits.mail, ...publicTenant, ...forgotPassword);
  app.post("/t/:tenant/password/reset", ...limits.credentials, ...publicTenant, ...resetForgottenPassword);
  // …an admin's invitation
  app.post("/t/:tenant/invitation/accept", ...limits.credentials, ...publicTenant, ...acceptAnInvitation);

  // Sign-in with Apple, Google or Microsoft: the redirect flow (one callback per region) and the native one
  app.get("/t/:tenant/oauth/:provider/authorize", ...limits.oauth, ...publicTenant, ...authorize);
  // A provider sign-in begun on the hosted page goes on there once the provider has answered.
  const { callbackGet, callbackPost } = providerCallbacks(continueHostedSignIn);
  app.get("/oauth/:provider/callback", ...limits.oauth, ...callbackGet);
  app.post("/oauth/:provider/callback", ...limits.oauth, ...callbackPost);
  app.post("/t/:tenant/oauth/:provider/id-token", ...limits.credentials, ...publicTenant, ...idToken);

  // Tokens (RFC 6749 error shape)
  app.post("/t/:tenant/token", ...limits.oauth, ...publicTenant, ...token);
  app.post("/t/:tenant/revoke", ...publicTenant, ...revoke);
  // OpenID Connect UserInfo: rule P on the bearer token, which a POST may send in its form body instead
  app.get("/t/:tenant/userinfo", ...userinfo);
  app.post("/t/:tenant/userinfo", ...userinfo);

  // Devices signed in as a person (RFC 8628): the device asks for codes, then polls /token; the person,
  // signed in in the app, approves or denies the user code, each try counted against guessing.
  app.post("/t/:tenant/device/authorize", ...limits.oauth, ...publicTenant, ...deviceAuthorization);
  app.get("/t/:tenant/device/pending", ...limits.credentials, ...signedIn, ...pendingDeviceAuthorization);
  app.post("/t/:tenant/device/approve", ...limits.credentials, ...signedIn, ...approveDevice);
  app.post("/t/:tenant/device/deny", ...limits.credentials, ...signedIn, ...denyDevice);
  // A printer's panel signs the person at it in with their PIN, their ID card, or both (the device authenticated).
  app.post("/t/:tenant/panel/sign-in", ...limits.credentials, ...publicTenant, ...panelSignIn);

  // The signed-in user
  app.get("/t/:tenant/me", ...signedIn, ...me);
  app.patch("/t/:tenant/me", ...signedIn, ...updateMe);
  // A bearer token, or a temporary password's change token (no session yet): the route checks which.
  app.post("/t/:tenant/me/password", ...limits.credentials, ...publicTenant, ...changePassword);
  app.get("/t/:tenant/me/sessions", ...signedIn, ...listMySessions);
  app.delete("/t/:tenant/me/sessions/:id", ...signedIn, ...endMySession);
  app.get("/t/:tenant/me/sign-in-attempts", ...signedIn, ...mySignInAttempts);
  // My second factors (rule M): changes need a fresh second factor once I have one
  app.get("/t/:tenant/me/factors", ...signedIn, ...listMyFactors);
  app.post("/t/:tenant/me/factors/totp", ...limits.credentials, ...signedIn, ...startMyTotp);
  app.post("/t/:tenant/me/factors/totp/confirm", ...limits.credentials, ...signedIn, ...confirmMyTotp);
  app.post("/t/:tenant/me/factors/email", ...limits.credentials, ...signedIn, ...addMyEmailFactor);
  app.post("/t/:tenant/me/factors/recovery-codes", ...limits.credentials, ...signedIn, ...newMyRecoveryCodes);
  app.delete("/t/:tenant/me/factors/:type", ...limits.credentials, ...signedIn, ...removeMyFactor);
  app.post("/t/:tenant/me/pin", ...limits.credentials, ...signedIn, ...newMyPin);
  app.get("/t/:tenant/me/cards", ...signedIn, ...listMyCards);
  app.delete("/t/:tenant/me/cards/:cardId", ...signedIn, ...removeMyCard);
  // My passkeys: enrolment is the options, then the browser's new credential
  app.post("/t/:tenant/me/factors/passkeys/options", ...limits.credentials, ...signedIn, ...myPasskeyOptions);
  app.post("/t/:tenant/me/factors/passkeys", ...limits.credentials, ...signedIn, ...addMyPasskey);
  app.get("/t/:tenant/me/factors/passkeys", ...signedIn, ...listMyPasskeys);
  app.patch("/t/:tenant/me/factors/passkeys/:id", ...signedIn, ...renameMyPasskey);
  app.delete("/t/:tenant/me/factors/passkeys/:id", ...signedIn, ...removeMyPasskey);

  // Tenant administration
  app.get("/t/:tenant/admin/settings", ...tenantAdmin, ...getSettings);
  app.patch("/t/:tenant/admin/settings", ...tenantAdmin, ...patchSettings);
  app.get("/t/:tenant/admin/users", ...tenantAdmin, ...listUsers);
  app.post("/t/:tenant/admin/users", ...tenantAdmin, ...createUser);
  app.get("/t/:tenant/admin/users/:id", ...tenantAdmin, ...getUser);
  app.patch("/t/:tenant/admin/users/:id", ...tenantAdmin, ...patchUser);
  app.get("/t/:tenant/admin/users/:id/sessions", ...tenantAdmin, ...listUserSessions);
  app.delete("/t/:tenant/admin/users/:id/sessions/:sessionId", ...tenantAdmin, ...endUserSession);
  app.post("/t/:tenant/admin/users/:id/sign-out-everywhere", ...tenantAdmin, ...signOutEverywhere);
  app.post("/t/:tenant/admin/users/:id/invitation", ...tenantAdmin, ...sendInvitation);
  app.post("/t/:tenant/admin/users/:id/pin", ...tenantAdmin, ...newUserPin);
  app.get("/t/:tenant/admin/users/:id/factors", ...tenantAdmin, ...getUserFactors);
  app.delete("/t/:tenant/admin/users/:id/factors", ...tenantAdmin, ...resetUserFactors);
  app.get("/t/:tenant/admin/users/:id/cards", ...tenantAdmin, ...listUserCards);
  app.post("/t/:tenant/admin/users/:id/cards", ...tenantAdmin, ...addUserCard);
  app.delete("/t/:tenant/admin/users/:id/cards/:cardId", ...tenantAdmin, ...removeUserCard);
  app.get("/t/:tenant/admin/sign-in-attempts", ...tenantAdmin, ...listSignInAttempts);
  app.get("/t/:tenant/admin/sign-in-attempts/archives", ...tenantAdmin, ...listSignInAttemptArchives);
  app.get("/t/:tenant/admin/sign-in-attempts/archives/:day/:part", ...tenantAdmin, ...downloadSignInAttemptArchive);
  app.get("/t/:tenant/admin/devices", ...tenantAdmin, ...listDevices);
  app.post("/t/:tenant/admin/devices", ...tenantAdmin, ...createDevice);
  app.post("/t/:tenant/admin/devices/:id/revoke", ...tenantAdmin, ...revokeDevice);

  // Platform operator
  app.post("/operator/tenants", ...operator, ...createTenant);
  app.get("/operator/tenants", ...operator, ...listTenants);
  app.post("/operator/tenants/:name/move", ...operator, ...moveTenant);

  app.get("/openapi.json", async (c) => {
    const document = await generateSpecs(app, openApiDocumentation(c.var.config), c);
    return c.json(finishDocument(document));
  });
  return app;
}
