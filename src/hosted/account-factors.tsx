/**
 * The account's "Second factors", `/t/{tenant}/account/factors` (issue 16 point 2): for the person signed
 * in in this browser (the hosted sign-in's session, rule P on every request), their factors and what the
 * tenant asks of them; setting up an authenticator app (QR code, key, first code) or e-mail codes, adding
 * a passkey (with the passkey script), new recovery codes (shown once), removing a factor or a passkey.
 * The rules are the JSON API's (`/me/factors`, `/me/factors/passkeys`): each change asks a fresh second
 * factor first when the person has one, through `requireFreshSecondFactor`, whose two calls the forms
 * drive: the change's first post answers "Confirm it's you" with a step token, and the same form posted
 * again with that token and a code (or a passkey's assertion) makes the change.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import { findUserById } from "../accounts/queries";
import { factorTypes, type FactorType } from "../db/schema";
import { isSecondStep, type PendingStep } from "../factors/challenges";
import { enrolledFactors } from "../factors/enrolled";
import { mailStepCode } from "../factors/mfa-routes";
import {
  addEmailCodes,
  addPasskey,
  confirmApp,
  leavesNone,
  removeFactor,
  requireAFactor,
  requireAllowed,
  requireEmailCodesPossible,
  requireRemovable,
  type RemovedFactor,
} from "../factors/my-factors";
import { MAX_PASSKEY_NAME_LENGTH, MAX_PASSKEYS_PER_PERSON, passkeysOf, registrationOptions } from "../factors/passkeys";
import { factorRequired } from "../factors/policy";
import { replaceRecoveryCodes } from "../factors/recovery-codes";
import { factorsOf } from "../factors/reset";
import { requireFreshSecondFactor } from "../factors/step-up";
import { startTotpEnrolment, type TotpEnrolment } from "../factors/totp";
import { RegistrationResponse } from "../factors/webauthn-json";
import { scopeOf, type AppEnv } from "../http/context";
import { CSRF_FIELD } from "../http/csrf";
import { AppError, type FieldError } from "../http/errors";
import { fieldErrors, validationFailed } from "../http/validation";
import { accountPath } from "./account";
import { localeOf, pageErrorOf } from "./authorize";
import { browserSessionOf, principalOf, type BrowserSession } from "./browser-session";
import { allowPasskeyScript } from "./headers";
import { field, hiddenFields, jsonOf } from "./forms";
import { logoutPath } from "./logout";
import { AppSetupPage, FactorsPage, FactorStepPage, RecoveryCodesPage, SignInFirstPage, type PageError } from "./pages";
import { optionsAnswer, stepPasskeyOptions } from "./passkey-options";
import { passkeyScriptSrc } from "./passkey-script";
import { afterRefusal, pendingStepOf, refusalOfAnswer, STEP_FIELDS, stepAnswerOf, waysToAnswer } from "./pending-step";

/**
 * The changes, each a POST to its path under the page. `passkey` is posted twice: without a credential
 * it asks for one (after the step), with the new credential (`passkey_credential`) it keeps it.
 */
export const FACTOR_CHANGES = ["totp", "totp-confirm", "email", "passkey", "recovery-codes", "remove"] as const;
export type FactorChange = (typeof FACTOR_CHANGES)[number];

/** What the page says after a change that ends on it (`?done=`): one of these fixed sentences, nothing a link could word. */
const DONE = ["totp", "email", "passkey", "removed"] as const;
type Done = (typeof DONE)[number];

/** The fields of a change's form that its "Confirm it's you" carries back: which factor, which passkey, a new passkey's name. */
const CHANGE_FIELDS = ["type", "passkey", "passkey_name"] as const;

/** The field of the "Add a passkey" form that carries the new credential's JSON (a step's assertion is `webauthn_response`). */
const CREDENTIAL_FIELD = "passkey_credential";

type Ctx = Context<AppEnv>;
type View = { error?: PageError; status?: ContentfulStatusCode };
/** Creation options made for the page after the step a new passkey asked, with the name typed before. */
type Creation = { options: unknown; name: string };

const factorsPath = (c: Ctx) => `${accountPath(c.var.tenant.slug)}/factors`;
const localeHere = (c: Ctx) => localeOf(c, new URL(c.req.url).searchParams);
const csrfOf = (c: Ctx) => ({ [CSRF_FIELD]: hiddenFields(c, c.var.tenant.slug, new URLSearchParams())[CSRF_FIELD]! });
const refusal = (detail: string) => new AppError("forbidden", { detail });

/** A step of a change from this browser's session: a token of another session or of a sign-in is nothing here. */
const changeStepOf = (session: BrowserSession) => (step: PendingStep) => step.purpose === "step-up" && step.sessionId === session.id;

function signInFirst(c: Ctx) {
  return c.html(<SignInFirstPage locale={localeHere(c)} tenantName={c.var.tenant.displayName} />, 401);
}

/**
 * The page itself: the person's factors and passkeys, each removable unless it is the last the tenant
 * requires, and what they may add. A passkey's options are fetched by the script where no step comes
 * first; after one (`creation`), they are in the page.
 */
async function listPage(c: Ctx, session: BrowserSession, view: View & { done?: Done; creation?: Creation }) {
  const { tenant, db } = c.var;
  const { user } = session;
  const [{ factors, passkeys, recoveryCodesLeft }, enrolled] = await Promise.all([factorsOf(db, user.id), enrolledFactors(db, tenant, user.id)]);
  const required = tenant.mfa.mode === "off" ? undefined : factorRequired(tenant, user);
  const allowed = tenant.mfa.factors;
  const has = (type: string) => factors.some((factor) => factor.type === type);
  const emailable = user.email && user.emailVerified ? true : "address needed";
  const removable = (type: FactorType) => !(required && leavesNone(enrolled, type, passkeys.length));
  const passkeyAddable = allowed.includes("passkey") && passkeys.length < MAX_PASSKEYS_PER_PERSON;
  // A person with a factor confirms it first (requireFreshSecondFactor): the script then posts the form for that step.
  const stepFirst = tenant.mfa.mode !== "off" && enrolled.length > 0;
  const optionsAction = view.creation || stepFirst ? undefined : `${factorsPath(c)}/passkey/options`;
  if (passkeyAddable) allowPasskeyScript(c, optionsAction ? [optionsAction] : []);
  return c.html(
    <FactorsPage
      locale={localeHere(c)}
      tenantName={tenant.displayName}
      required={required}
      factors={factors.map((factor) => ({ ...factor, removable: removable(factor.type) }))}
      passkeys={passkeys.map((passkey) => ({ ...passkey, removable: removable("passkey") }))}
      recoveryCodesLeft={recoveryCodesLeft}
      add={{
        totp: allowed.includes("totp") && !has("totp"),
        email: allowed.includes("email") && !has("email") && emailable,
        passkey: passkeyAddable ? { optionsAction, options: view.creation?.options, name: view.creation?.name } : undefined,
      }}
      script={passkeyAddable ? passkeyScriptSrc(tenant.slug) : undefined}
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
  const carried = CHANGE_FIELDS.flatMap((name) => {
    const value = field(form, name);
    return value === undefined ? [] : [[name, value] as const];
  });
  const hidden = { ...csrfOf(c), [STEP_FIELDS.mfaToken]: step.mfaToken, change, ...Object.fromEntries(carried) };
  const recoveryOpen = field(form, STEP_FIELDS.recoveryCode) !== undefined;
  const passkeyOptions = step.factors.includes("passkey") ? `${factorsPath(c)}/passkey/step` : undefined;
  if (passkeyOptions) allowPasskeyScript(c, [passkeyOptions]);
  return c.html(
    <FactorStepPage
      locale={localeHere(c)}
      tenantName={c.var.tenant.displayName}
      action={`${factorsPath(c)}/${change}`}
      emailAction={`${factorsPath(c)}/code`}
      hidden={hidden}
      step={{ ...waysToAnswer(step.factors), recoveryOpen, mailed: view.mailed }}
      passkey={passkeyOptions ? { options: passkeyOptions, script: passkeyScriptSrc(c.var.tenant.slug) } : undefined}
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
    if ("again" in after) return confirmPage(c, session, form, change, after.again.mfaToken, { status: 401, error: { code: refusalOfAnswer(read.answer) } });
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
    requireAllowed(tenant, "totp");
    return withFreshFactor(c, session, form, "totp", async () => {
      const user = await findUserById(db, tenant.id, session.user.id);
      const enrolment = user && (await startTotpEnrolment(db, await config.secretBoxKey(), tenant, user));
      if (!enrolment) throw refusal("An authenticator app is already set up: remove it first");
      return appSetupPage(c, { enrolment });
    });
  },
  /** The app's first code confirms it (its key was shown after a fresh factor); a first factor brings recovery codes. */
  "totp-confirm": async (c, session, form) => {
    const { tenant } = c.var;
    const code = field(form, "code")?.replace(/\s/g, "") ?? "";
    if (!/^\d{6}$/.test(code)) return appSetupPage(c, { status: 400, error: { code: "validation_failed", fieldErrors: [{ path: "code", message: "Enter the 6 digits of the code." }] } });
    const confirmed = await confirmApp(scopeOf(c), tenant, session.user.id, code);
    if (!confirmed) return appSetupPage(c, { status: 401, error: { code: "wrong_code" } });
    return confirmed.recoveryCodes ? recoveryCodesPage(c, confirmed.recoveryCodes) : doneRedirect(c, "totp");
  },
  /** Codes by e-mail, to the confirmed address. */
  email: async (c, session, form) => {
    const { tenant } = c.var;
    requireEmailCodesPossible(tenant, session.user);
    return withFreshFactor(c, session, form, "email", async () => {
      const { recoveryCodes } = await addEmailCodes(scopeOf(c), tenant, session.user);
      return recoveryCodes ? recoveryCodesPage(c, recoveryCodes) : doneRedirect(c, "email");
    });
  },
  /**
   * A passkey: without a credential, after a fresh factor, its options made for the page (the script
   * asks the authenticator with them, and posts this form again); with the new credential, kept under its
   * name (the challenge of those options, the person's and spent now, proves the step was passed). A
   * first factor brings recovery codes.
   */
  passkey: async (c, session, form) => {
    const { tenant, db, config } = c.var;
    requireAllowed(tenant, "passkey");
    const name = passkeyNameOf(form);
    if ("fieldErrors" in name) return listPage(c, session, { status: 400, error: { code: "validation_failed", fieldErrors: name.fieldErrors } });
    const credential = field(form, CREDENTIAL_FIELD);
    if (!credential) {
      return withFreshFactor(c, session, form, "passkey", async () =>
        listPage(c, session, { creation: { options: await registrationOptions(db, config, tenant, session.user), name: name.name } }),
      );
    }
    const response = jsonOf(credential, RegistrationResponse);
    if (!response) throw validationFailed([{ path: CREDENTIAL_FIELD, message: "The browser gave no passkey that can be used: try again." }]);
    const { recoveryCodes } = await addPasskey(scopeOf(c), tenant, session.user.id, name.name, response);
    return recoveryCodes ? recoveryCodesPage(c, recoveryCodes) : doneRedirect(c, "passkey");
  },
  /** New recovery codes, replacing the old ones. */
  "recovery-codes": async (c, session, form) => {
    const { tenant, db, config } = c.var;
    await requireAFactor(scopeOf(c), tenant, session.user.id);
    return withFreshFactor(c, session, form, "recovery-codes", async () => recoveryCodesPage(c, await replaceRecoveryCodes(db, await config.lookupKey(), tenant.id, session.user.id)));
  },
  /** An app, e-mail codes or one passkey (`passkey`: its id) removed; not the last factor of a person the tenant requires one of. */
  remove: async (c, session, form) => {
    const { tenant } = c.var;
    const type = factorTypes.find((known) => known === field(form, "type"));
    const passkeyId = field(form, "passkey");
    if (type === undefined || (type === "passkey" && !passkeyId)) throw new AppError("not_found", { detail: "No such factor is set up" });
    const removed: RemovedFactor = type === "passkey" ? { type, id: passkeyId! } : { type };
    await requireRemovable(scopeOf(c), tenant, session.user, removed);
    return withFreshFactor(c, session, form, "remove", async () => {
      await removeFactor(scopeOf(c), tenant, session.user.id, removed);
      return doneRedirect(c, "removed");
    });
  },
};

const PasskeyName = v.pipe(v.string(), v.trim(), v.minLength(1, "Give the passkey a name."), v.maxLength(MAX_PASSKEY_NAME_LENGTH));

/** The new passkey's name, or what is wrong with it (said at its field). */
function passkeyNameOf(form: URLSearchParams): { name: string } | { fieldErrors: FieldError[] } {
  const parsed = v.safeParse(PasskeyName, field(form, "passkey_name") ?? "");
  if (parsed.success) return { name: parsed.output };
  return { fieldErrors: fieldErrors(parsed.issues).map((error) => ({ ...error, path: "passkey_name" })) };
}

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

/**
 * POST /account/factors/passkey/options: a new passkey's options, for the script, where the person has no
 * factor to confirm first (with one, `requireFreshSecondFactor` refuses, and the script posts the form
 * to `/factors/passkey`, which asks for it).
 */
export async function passkeyCreationOptions(c: Ctx): Promise<Response> {
  const session = await browserSessionOf(c, c.var.tenant);
  const { tenant, db, config } = c.var;
  return optionsAnswer(c, async () => {
    if (!session) throw new AppError("unauthorized", { detail: "Sign in first" });
    requireAllowed(tenant, "passkey");
    await requireFreshSecondFactor(scopeOf(c), tenant, principalOf(session), {});
    return registrationOptions(db, config, tenant, session.user);
  });
}

/** POST /account/factors/passkey/step: "Use a passkey" for the step of a change, the options of the person's passkeys, for the script. */
export async function passkeyOptionsForChange(c: Ctx, form: URLSearchParams): Promise<Response> {
  const session = await browserSessionOf(c, c.var.tenant);
  const scope = scopeOf(c);
  return optionsAnswer(c, async () => {
    if (!session) throw new AppError("unauthorized", { detail: "Sign in first" });
    return stepPasskeyOptions(scope, c.var.tenant, await pendingStepOf(scope, c.var.tenant, field(form, STEP_FIELDS.mfaToken), changeStepOf(session)));
  });
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
