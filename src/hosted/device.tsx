/**
 * The page at a device's `verification_uri` (RFC 8628 §3.3), `/t/{tenant}/device`: the person whose
 * browser is signed in to the tenant (the hosted sign-in's session, rule P) names the code, sees which
 * device asks, and approves or denies it. The code is checked as from the app (devices/authorizations.ts):
 * unknown, expired and decided codes are answered alike, and the route's rate limit slows a guesser.
 */
import type { Context } from "hono";
import { decideAuthorization, pendingDevice } from "../devices/authorizations";
import { approverAmr } from "../factors/step-up";
import { scopeOf, type AppEnv } from "../http/context";
import { localeOf } from "./authorize";
import { browserSessionOf, HOSTED_CLIENT_ID } from "./browser-session";
import { field, hiddenFields, REQUEST_FIELD } from "./forms";
import { DevicePage, type DevicePageState } from "./pages";

const devicePath = (slug: string) => `/t/${slug}/device`;

function render(c: Context<AppEnv>, state: DevicePageState, status: 200 | 404 = 200) {
  const { tenant } = c.var;
  const locale = localeOf(c, new URLSearchParams());
  return c.html(<DevicePage locale={locale} tenantName={tenant.displayName} action={devicePath(tenant.slug)} state={state} />, status);
}

/** GET: the code from the QR's link (`user_code`) or typed, then the device named and the decision asked. */
export async function devicePage(c: Context<AppEnv>): Promise<Response> {
  const { tenant, db } = c.var;
  const session = await browserSessionOf(c, tenant);
  if (!session) return render(c, { step: "sign-in-first" });
  const userCode = c.req.query("user_code")?.trim();
  if (!userCode) return render(c, { step: "type-code" });
  const device = await pendingDevice(db, tenant.id, userCode);
  if (!device) return render(c, { step: "type-code", unknownCode: true }, 404);
  const { user } = session;
  const person = [user.firstName, user.lastName].filter(Boolean).join(" ") || user.username;
  const hidden = hiddenFields(c, tenant.slug, new URLSearchParams({ user_code: userCode }));
  return render(c, { step: "confirm", device, person, hidden });
}

/** POST (its CSRF token checked before): the person's decision, for the browser session's person. */
export async function deviceDecision(c: Context<AppEnv>, form: URLSearchParams): Promise<Response> {
  const { tenant, db } = c.var;
  const session = await browserSessionOf(c, tenant);
  if (!session) return render(c, { step: "sign-in-first" });
  const userCode = new URLSearchParams(field(form, REQUEST_FIELD) ?? "").get("user_code") ?? "";
  const approved = field(form, "decision") === "approve";
  // Rule M: the browser's session passed the second step its person owed when it opened (the gate); should
  // the policy ask more since, the approval is refused (mfa_required) and the person signs in again.
  const approver = { user: session.user, sessionId: session.id, clientId: HOSTED_CLIENT_ID, identities: [] };
  const decision = approved ? { approve: true as const, userId: session.user.id, amr: await approverAmr(scopeOf(c), tenant, approver, {}) } : { approve: false as const };
  const device = await decideAuthorization(db, tenant.id, userCode, decision);
  if (!device) return render(c, { step: "type-code", unknownCode: true }, 404);
  return render(c, { step: "done", device, approved });
}
