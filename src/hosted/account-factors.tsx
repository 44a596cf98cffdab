/**
 * The account's "Second factors", `/t/{tenant}/account/factors` (issue 16 point 2): for the person signed
 * in in this browser (the hosted sign-in's session, rule P on every request), their factors and what the
 * tenant asks of them; setting up an authenticator app (QR code, key, first code) or e-mail codes, new
 * recovery codes (shown once), removing a factor. The rules are the JSON API's (`/me/factors`): each
 * change asks a fresh second factor first when the person has one, through `requireFreshSecondFactor`,
 * whose two calls the forms drive: the change's first post answers "Confirm it's you" with a step token,
 * and the same form posted again with that token and a code makes the change.
 */
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { findUserById } from "../accounts/queries";
import { secondFactors } from "../db/schema";
import { isSecondStep, type PendingStep } from "../factors/challenges";
import { enrolledFactors } from "../factors/enrolled";
import { mailStepCode } from "../factors/mfa-routes";
import { factorRequired } from "../factors/policy";
import { replaceRecoveryCodes } from "../factors/recovery-codes";
import { factorsOf } from "../factors/reset";
import { requireFreshSecondFactor } from "../factors/step-up";
import { startTotpEnrolment, useTotpCode, type TotpEnrolment } from "../factors/totp";
import { scopeOf, type AppEnv } from "../http/context";
import { CSRF_FIELD } from "../http/csrf";
import { AppError } from "../http/errors";
import { accountPath } from "./account";
import { localeOf, pageErrorOf } from "./authorize";
import { browserSessionOf, principalOf, type BrowserSession } from "./browser-session";
import { field, hiddenFields } from "./forms";
import { logoutPath } from "./logout";
import { AppSetupPage, FactorsPage, FactorStepPage, RecoveryCodesPage, SignInFirstPage, type PageError } from "./pages";
import { afterRefusal, pendingStepOf, STEP_FIELDS, stepAnswerOf, waysToAnswer } from "./pending-step";

/** The changes, each a POST to its path under the page. */
export const FACTOR_CHANGES = ["totp", "totp-confirm", "email", "recovery-codes", "remove"] as const;
export type FactorChange = (typeof FACTOR_CHANGES)[number];

/** What the page says after a change that ends on it (`?done=`): one of these fixed sentences, nothing a link could word. */
const DONE = ["totp", "email", "removed"] as const;
type Done = (typeof DONE)[number];

type Ctx = Context<AppEnv>;
type View = { error?: PageError; status?: ContentfulStatusCode };

const factorsPath = (c: Ctx) => `${accountPath(c.var.tenant.slug)}/factors`;
const localeHere = (c: Ctx) => localeOf(c, new URL(c.req.url).searchParams);
const csrfOf = (c: Ctx) => ({ [CSRF_FIELD]: hiddenFields(c, c.var.tenant.slug, new URLSearchParams())[CSRF_FIELD]! });
const refusal = (detail: string) => new AppError("forbidden", { detail });

/** A step of a change from this browser's session: a token of another session or of a sign-in is nothing here. */
const changeStepOf = (session: BrowserSession) => (step: PendingStep) => step.purpose === "step-up" && step.sessionId === session.id;

function signInFirst(c: Ctx) {
  return c.html(<SignInFirstPage locale={localeHere(c)} tenantName={c.var.tenant.displayName} />, 401);
}

/** The page itself: the person's factors (a passkey's name too), each removable unless it is the last the tenant requires. */
async function listPage(c: Ctx, session: BrowserSession, view: View & { done?: Done }) {
  const { tenant, db } = c.var;
  const { user } = session;
  const [{ factors, passkeys, recoveryCodesLeft }, enrolled] = await Promise.all([factorsOf(db, user.id), enrolledFactors(db, tenant, user.id)]);
  const required = tenant.mfa.mode === "off" ? undefined : factorRequired(tenant, user);
  const allowed = tenant.mfa.factors;
  const has = (type: string) => factors.some((factor) => factor.type === type);
  const emailable = user.email && user.emailVerified ? true : "address needed";
  return c.html(
    <FactorsPage
      locale={localeHere(c)}
      tenantName={tenant.displayName}
      required={required}
      factors={factors.map((factor) => ({ ...factor, removable: !(required && enrolled.length === 1 && enrolled.includes(factor.type)) }))}
      passkeys={passkeys}
      recoveryCodesLeft={recoveryCodesLeft}
      add={{ totp: allowed.includes("totp") && !has("totp"), email: allowed.includes("email") && !has("email") && emailable }}
      base={factorsPath(c)}
      hidden={csrfOf(c)}
      signOut={{ action: `${logoutPath(tenant.slug)}/confirm`, hidden: hiddenFields(c, tenant.slug, new URLSearchParams()) }}
      done={view.done}
      error={view.error}
    />,
    view.status ?? 200,
  );
}

/** GET /account/factors. */
export async function factorsPage(c: Ctx): Promise<Response> {
  const session = await browserSessionOf(c, c.var.tenant);
  if (!session) return signInFirst(c);
  const done = DONE.find((code) => code === c.req.query("done"));
  return listPage(c, session, { done });
}

/** "Confirm it's you" for `change`, with the step `mfaToken` names; the step gone, the page says to start again. */
async function confirmPage(c: Ctx, session: BrowserSession, form: URLSearchParams, change: FactorChange, mfaToken: string, view: View & { mailed?: boolean }) {
  const step = await pendingStepOf(scopeOf(c), c.var.tenant, mfaToken, changeStepOf(session));
  if (!step) return listPage(c, session, { error: { code: "step_ended" }, status: 401 });
  const type = field(form, "type");
  const hidden = { ...csrfOf(c), [STEP_FIELDS.mfaToken]: step.mfaToken, change, ...(type && { type }) };
  const recoveryOpen = field(form, STEP_FIELDS.recoveryCode) !== undefined;
  return c.html(
    <FactorStepPage
      locale={localeHere(c)}
      tenantName={c.var.tenant.displayName}
      action={`${factorsPath(c)}/${change}`}
      emailAction={`${factorsPath(c)}/code`}
      hidden={hidden}
      step={{ ...waysToAnswer(step.factors), recoveryOpen, mailed: view.mailed }}
      error={view.error}
      backHref={factorsPath(c)}
    />,
    view.status ?? 200,
  );
}

/**
 * Makes `change` once the person has proven a fresh second factor (or has none to prove): the form's
 * first post gets "Confirm it's you", its answer the change; a wrong code asks again while the step lasts.
 */
async function withFreshFactor(c: Ctx, session: BrowserSession, form: URLSearchParams, change: FactorChange, go: () => Promise<Response>): Promise<Response> {
  const scope = scopeOf(c);
  const { tenant } = c.var;
  const mfaToken = field(form, STEP_FIELDS.mfaToken);
  const read = mfaToken ? stepAnswerOf((name) => field(form, name)) : { answer: {} };
  if ("fieldErrors" in read) return confirmPage(c, session, form, change, mfaToken!, { status: 400, error: { code: "validation_failed", fieldErrors: read.fieldErrors } });
  try {
    await requireFreshSecondFactor(scope, tenant, principalOf(session), read.answer);
  } catch (error) {
    if (error instanceof AppError && isSecondStep(error)) return confirmPage(c, session, form, change, String(error.options.extensions?.mfaToken), {});
    const after = await afterRefusal(scope, tenant, mfaToken ?? "", changeStepOf(session), error);
    if ("again" in after) return confirmPage(c, session, form, change, after.again.mfaToken, { status: 401, error: { code: "wrong_code" } });
    const { ended } = after;
    return listPage(c, session, { status: ended.status, error: ended.code === "invalid_credentials" ? { code: "step_ended" } : pageErrorOf(ended) });
  }
  return go();
}

function appSetupPage(c: Ctx, view: View & { enrolment?: TotpEnrolment }) {
  const base = factorsPath(c);
  return c.html(
    <AppSetupPage
      locale={localeHere(c)}
      tenantName={c.var.tenant.displayName}
      enrolment={view.enrolment}
      confirmAction={`${base}/totp-confirm`}
      restartAction={`${base}/totp`}
      hidden={csrfOf(c)}
      error={view.error}
      backHref={base}
    />,
    view.status ?? 200,
  );
}

/** A first factor's, or new, recovery codes: shown this once, then back to the page. */
function recoveryCodesPage(c: Ctx, codes: string[]) {
  return c.html(<RecoveryCodesPage locale={localeHere(c)} tenantName={c.var.tenant.displayName} codes={codes} next={{ href: factorsPath(c) }} />);
}

const doneRedirect = (c: Ctx, done: Done) => c.redirect(`${factorsPath(c)}?${new URLSearchParams({ done })}`, 303);

/** What each change does, after its own checks (refused as the JSON API refuses them: forbidden, not found). */
const changes: Record<FactorChange, (c: Ctx, session: BrowserSession, form: URLSearchParams) => Promise<Response>> = {
  /** An authenticator app: a new key, shown as its QR code and as text. */
  totp: async (c, session, form) => {
    const { tenant, db, config } = c.var;
    if (!tenant.mfa.factors.includes("totp")) throw refusal("This tenant does not allow an authenticator app as a second factor");
    return withFreshFactor(c, session, form, "totp", async () => {
      const user = await findUserById(db, tenant.id, session.user.id);
      const enrolment = user && (await startTotpEnrolment(db, await config.secretBoxKey(), tenant, user));
      if (!enrolment) throw refusal("An authenticator app is already set up: remove it first");
      return appSetupPage(c, { enrolment });
    });
  },
  /** The app's first code confirms it (its key was shown after a fresh factor); a first factor brings recovery codes. */
  "totp-confirm": async (c, session, form) => {
    const { tenant, db, config } = c.var;
    const code = field(form, "code")?.replace(/\s/g, "") ?? "";
    if (!/^\d{6}$/.test(code)) return appSetupPage(c, { status: 400, error: { code: "validation_failed", fieldErrors: [{ path: "code", message: "Enter the 6 digits of the code." }] } });
    const first = (await enrolledFactors(db, tenant, session.user.id)).length === 0;
    if (!(await useTotpCode(db, await config.secretBoxKey(), session.user.id, code, false))) return appSetupPage(c, { status: 401, error: { code: "wrong_code" } });
    return first ? recoveryCodesPage(c, await replaceRecoveryCodes(db, await config.lookupKey(), tenant.id, session.user.id)) : doneRedirect(c, "totp");
  },
  /** Codes by e-mail, to the confirmed address. */
  email: async (c, session, form) => {
    const { tenant, db, config } = c.var;
    const { user } = session;
    if (!tenant.mfa.factors.includes("email")) throw refusal("This tenant does not allow e-mail codes as a second factor");
    if (!user.email || !user.emailVerified) throw refusal("E-mail codes need a confirmed address: confirm it first");
    return withFreshFactor(c, session, form, "email", async () => {
      const first = (await enrolledFactors(db, tenant, user.id)).length === 0;
      const now = new Date();
      await db
        .insert(secondFactors)
        .values({ id: crypto.randomUUID(), tenantId: tenant.id, userId: user.id, type: "email", confirmedAt: now, createdAt: now })
        .onConflictDoUpdate({ target: [secondFactors.userId, secondFactors.type], set: { confirmedAt: now } });
      return first ? recoveryCodesPage(c, await replaceRecoveryCodes(db, await config.lookupKey(), tenant.id, user.id)) : doneRedirect(c, "email");
    });
  },
  /** New recovery codes, replacing the old ones. */
  "recovery-codes": async (c, session, form) => {
    const { tenant, db, config } = c.var;
    if ((await enrolledFactors(db, tenant, session.user.id)).length === 0) throw refusal("Recovery codes come with a second factor: set one up first");
    return withFreshFactor(c, session, form, "recovery-codes", async () => recoveryCodesPage(c, await replaceRecoveryCodes(db, await config.lookupKey(), tenant.id, session.user.id)));
  },
  /** An app or e-mail codes removed; not the last factor of a person the tenant requires one of. */
  remove: async (c, session, form) => {
    const { tenant, db } = c.var;
    const type = field(form, "type");
    const enrolled = await enrolledFactors(db, tenant, session.user.id);
    if ((type !== "totp" && type !== "email") || !enrolled.includes(type)) throw new AppError("not_found", { detail: "No such factor is set up" });
    if (enrolled.length === 1 && factorRequired(tenant, session.user)) throw refusal("This tenant requires a second factor: set up another before removing this one");
    return withFreshFactor(c, session, form, "remove", async () => {
      await db.delete(secondFactors).where(and(eq(secondFactors.userId, session.user.id), eq(secondFactors.type, type)));
      return doneRedirect(c, "removed");
    });
  },
};

/**
 * A change's refusals (from a page older than the factors it shows, or a message that could not go out):
 * the page again, saying why.
 */
async function refused(c: Ctx, session: BrowserSession, work: () => Promise<Response>): Promise<Response> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return listPage(c, session, { status: error.status, error: pageErrorOf(error) });
  }
}

/** POST /account/factors/{change} (its CSRF token checked before). */
export function factorChange(change: FactorChange) {
  return async (c: Ctx, form: URLSearchParams): Promise<Response> => {
    const session = await browserSessionOf(c, c.var.tenant);
    if (!session) return signInFirst(c);
    return refused(c, session, () => changes[change](c, session, form));
  };
}

/** POST /account/factors/code: "Send me a code by e-mail" for the step of a change; the step's page says it went. */
export async function mailChangeCode(c: Ctx, form: URLSearchParams): Promise<Response> {
  const session = await browserSessionOf(c, c.var.tenant);
  if (!session) return signInFirst(c);
  const change = FACTOR_CHANGES.find((name) => name === field(form, "change")) ?? "totp";
  const mfaToken = field(form, STEP_FIELDS.mfaToken) ?? "";
  const step = await pendingStepOf(scopeOf(c), c.var.tenant, mfaToken, changeStepOf(session));
  if (!step) return listPage(c, session, { error: { code: "step_ended" }, status: 401 });
  return refused(c, session, async () => {
    await mailStepCode(scopeOf(c), c.var.tenant, step.mfaToken, localeHere(c));
    return confirmPage(c, session, form, change, step.mfaToken, { mailed: true });
  });
}
