/**
 * The tenant admin console, `/t/{tenant}/console`: server-rendered pages over the admin API's own
 * functions, for people with a browser (no script needed). Not part of /openapi.json: pages, not API.
 * Read top to bottom, this is the console's map; each page's handler lives in its own file.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../http/context";
import { limitBody } from "../../http/body-limit";
import { AppError } from "../../http/errors";
import { rateLimit, rateLimits } from "../../http/rate-limit";
import { tenantRoute } from "../../tenants/middleware";
import { archivesPage, downloadArchive } from "./attempt-archives";
import { attemptsPage } from "./attempts";
import { requireCsrfToken, sameOrigin } from "./csrf";
import { revokeDeviceForm, revokeDevicePage } from "./device-revoke";
import { devicesPage, registerDeviceForm } from "./devices";
import { consolePath } from "./env";
import { renderError } from "./errors";
import { securityHeaders } from "./headers";
import { requireConsoleAdmin } from "./session";
import { saveSettingsForm, settingsPage } from "./settings";
import { signInPage, signInSubmit, signOut } from "./sign-in";
import { answerConsoleStep, mailConsoleStepCode, setUpConsoleFactor } from "./sign-in-step";
import { activate, deactivate, deactivatePage, grantAdmin, revokeAdmin } from "./user-changes";
import { resetFactorsForm, resetFactorsPage } from "./user-factors";
import { sendInvitation, sendPasswordReset } from "./user-mail";
import { userPage } from "./user-page";
import { setTemporaryPassword } from "./user-password";
import { endUserSessionForm, signOutEverywhereForm } from "./user-sessions";
import { usersPage } from "./users";

export const consoleApp = new Hono<AppEnv>();

consoleApp.onError(renderError);
consoleApp.use(securityHeaders());
consoleApp.use(limitBody());
// Every POST first proves it comes from a page of this origin (each form then carries its token).
consoleApp.use(sameOrigin());

// Signing in and out
consoleApp.get("/sign-in", tenantRoute(), signInPage);
consoleApp.post("/sign-in", rateLimit(rateLimits.credentials), tenantRoute(), signInSubmit);
// The second step an admin owes (rule M): the answer, a code by e-mail, a first factor set up there
consoleApp.post("/sign-in/mfa", rateLimit(rateLimits.credentials), tenantRoute(), answerConsoleStep);
consoleApp.post("/sign-in/mfa/email", rateLimit(rateLimits.mail), tenantRoute(), mailConsoleStepCode);
consoleApp.post("/sign-in/mfa/enrol", rateLimit(rateLimits.credentials), tenantRoute(), setUpConsoleFactor);
consoleApp.post("/sign-out", requireConsoleAdmin(), requireCsrfToken(), signOut);

// Signed-in pages (rule P on every request: an active admin of this tenant)
consoleApp.get("/", requireConsoleAdmin(), (c) => c.redirect(`${consolePath(c.var.tenant.slug)}/users`, 303));
consoleApp.get("/users", requireConsoleAdmin(), usersPage);
consoleApp.get("/users/:id", requireConsoleAdmin(), userPage);
consoleApp.post("/users/:id/activate", requireConsoleAdmin(), requireCsrfToken(), activate);
consoleApp.get("/users/:id/deactivate", requireConsoleAdmin(), deactivatePage);
consoleApp.post("/users/:id/deactivate", requireConsoleAdmin(), requireCsrfToken(), deactivate);
consoleApp.post("/users/:id/grant-admin", requireConsoleAdmin(), requireCsrfToken(), grantAdmin);
consoleApp.post("/users/:id/revoke-admin", requireConsoleAdmin(), requireCsrfToken(), revokeAdmin);
consoleApp.post("/users/:id/sessions/:sessionId/sign-out", requireConsoleAdmin(), requireCsrfToken(), endUserSessionForm);
consoleApp.post("/users/:id/sign-out-everywhere", requireConsoleAdmin(), requireCsrfToken(), signOutEverywhereForm);
consoleApp.post("/users/:id/invitation", requireConsoleAdmin(), requireCsrfToken(), sendInvitation);
consoleApp.post("/users/:id/password-reset", requireConsoleAdmin(), requireCsrfToken(), sendPasswordReset);
consoleApp.post("/users/:id/temporary-password", requireConsoleAdmin(), requireCsrfToken(), setTemporaryPassword);
consoleApp.get("/users/:id/factors/reset", requireConsoleAdmin(), resetFactorsPage);
consoleApp.post("/users/:id/factors/reset", requireConsoleAdmin(), requireCsrfToken(), resetFactorsForm);
consoleApp.get("/devices", requireConsoleAdmin(), devicesPage);
consoleApp.post("/devices", requireConsoleAdmin(), requireCsrfToken(), registerDeviceForm);
consoleApp.get("/devices/:id/revoke", requireConsoleAdmin(), revokeDevicePage);
consoleApp.post("/devices/:id/revoke", requireConsoleAdmin(), requireCsrfToken(), revokeDeviceForm);
consoleApp.get("/settings", requireConsoleAdmin(), settingsPage);
consoleApp.post("/settings", requireConsoleAdmin(), requireCsrfToken(), saveSettingsForm);
consoleApp.get("/sign-in-attempts", requireConsoleAdmin(), attemptsPage);
consoleApp.get("/sign-in-attempts/archives", requireConsoleAdmin(), archivesPage);
consoleApp.get("/sign-in-attempts/archives/:day/:part", requireConsoleAdmin(), downloadArchive);

// Anything else under the console is a page that does not exist, said as a page (a mounted app's own
// notFound is never called: the main app's would answer in JSON).
consoleApp.all("*", () => {
  throw new AppError("not_found", { detail: "There is no such page in the console." });
});
