import { and, eq } from "drizzle-orm";
import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { newCode } from "../accounts/email-codes";
import { findUserById } from "../accounts/queries";
import { secondFactors, type Tenant } from "../db/schema";
import type { Locale } from "../hosted/i18n";
import { scopeOf, type Scope } from "../http/context";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { jsonBody } from "../http/validation";
import { mailCode } from "../mail/code-mail";
import { requestLocale } from "../mail/proof";
import { TokenResponseSchema } from "../tokens/token-response";
import { keepEmailCode, readChallenge, type Challenge } from "./challenges";
import { finishSignIn } from "./finish-sign-in";
import { enrolledFactors } from "./enrolled";
import { emailCodeHash, oneAnswer, SecondFactorAnswer } from "./second-step";
import { startTotpEnrolment, type TotpEnrolment } from "./totp";

// The second step of a sign-in (rule M): what `401 mfa_required` asks for, finished with its mfaToken.

const EMAIL_CODE_MS = 10 * 60_000;

/** Mails a fresh code for the challenge (replacing the last), kept as its keyed hash for 10 minutes. */
async function mailChallengeCode(scope: Scope, tenant: Tenant, challenge: Challenge, to: string, locale: Locale) {
  const code = newCode();
  await keepEmailCode(scope.db, challenge, await emailCodeHash(await scope.config.lookupKey(), challenge, code), new Date(Date.now() + EMAIL_CODE_MS));
  await mailCode(scope.env, tenant, { kind: "signInCode", locale, to, code });
}

const MfaToken = v.object({ mfaToken: SecondFactorAnswer.mfaToken });

const invalidStep = () => new AppError("invalid_credentials", { detail: "This second step is not valid, has expired or was already used: sign in again" });

const FinishBody = v.pipe(
  v.object({
    ...SecondFactorAnswer,
    rememberDevice: v.optional(v.pipe(v.boolean(), v.description("Skip the second step on this device for the tenant's rememberDays: the answer's `rememberToken`")), false),
  }),
  v.check((body) => oneAnswer(body), "Give one answer: code, recoveryCode or webauthnResponse"),
  v.metadata({ ref: "SecondStep" }),
);

const FinishedSignIn = v.object({
  ...TokenResponseSchema.entries,
  refresh_token: v.optional(v.pipe(v.string(), v.description("None for a panel's session"))),
  rememberToken: v.optional(v.pipe(v.string(), v.description("Send as `rememberToken` at the next sign-in on this device"))),
  recoveryCodes: v.optional(v.pipe(v.array(v.string()), v.description("The person's first factor was set up just now: their recovery codes, shown this once"))),
});

export const finishSecondStep = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "The second step of a sign-in: the mfaToken of `401 mfa_required` and a code, or a recovery code",
    description:
      "Opens what the first step would have opened (the app's tokens, or a panel's short session). A wrong answer counts toward " +
      "the account's lockout and the challenge's end (the tenant's lockout number of them).",
    responses: {
      200: jsonResponse("Signed in", FinishedSignIn),
      ...problems("validation_failed", "invalid_credentials", "account_inactive", "account_locked", "rate_limited"),
    },
  }),
  jsonBody(FinishBody),
  async (c) => {
    const { tokens, rememberToken, recoveryCodes } = await finishSignIn(scopeOf(c), c.var.tenant, c.req.valid("json"));
    c.header("Cache-Control", "no-store");
    return c.json({ ...tokens, ...(rememberToken && { rememberToken }), ...(recoveryCodes && { recoveryCodes }) }, 200);
  },
);

export const mailSecondStepCode = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "Mail a code for the second step to the person's confirmed address (an e-mail factor)",
    description: "Six digits, for 10 minutes, once; a new one replaces the last. Then POST /sign-in/mfa with the mfaToken and the code.",
    responses: {
      202: { description: "Sent" },
      ...problems("validation_failed", "invalid_credentials", "forbidden", "rate_limited", "unavailable"),
    },
  }),
  jsonBody(MfaToken),
  async (c) => {
    await mailStepCode(scopeOf(c), c.var.tenant, c.req.valid("json").mfaToken, requestLocale(c));
    return c.body(null, 202);
  },
);

/**
 * Mails a code for the step `mfaToken` names (a sign-in's, or a change's) to the person's confirmed
 * address, when they have an e-mail factor the tenant allows: for this route and the hosted pages alike.
 */
export async function mailStepCode(scope: Scope, tenant: Tenant, mfaToken: string, locale: Locale): Promise<void> {
  const challenge = await readChallenge(scope.db, tenant, mfaToken);
  const user = challenge && (await findUserById(scope.db, tenant.id, challenge.userId));
  if (!challenge || !user) throw invalidStep();
  const emailFactor = await scope.db
    .select({ id: secondFactors.id })
    .from(secondFactors)
    .where(and(eq(secondFactors.userId, user.id), eq(secondFactors.type, "email")))
    .get();
  if (!tenant.mfa.factors.includes("email") || !emailFactor || !user.email || !user.emailVerified) {
    throw new AppError("forbidden", { detail: "This person has no e-mail factor to send a code to" });
  }
  await mailChallengeCode(scope, tenant, challenge, user.email, locale);
}

const EnrolBody = v.object({
  ...MfaToken.entries,
  type: v.pipe(v.picklist(["totp", "email"]), v.description("An authenticator app (answered: its key and QR code), or e-mail codes to the confirmed address")),
});

/**
 * A person who owes a second factor and has none sets one up within the sign-in that asked (rule M: no
 * token before): an authenticator app (its key and QR code; its first code then finishes the sign-in at
 * POST /sign-in/mfa) or e-mail codes (a code is mailed at once, then the same).
 */
export const enrolInSecondStep = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "Set up a first second factor within the sign-in that asks for one (`mfa_required` with `enrol: true`)",
    responses: {
      200: jsonResponse(
        "An authenticator app: type its first code at POST /sign-in/mfa",
        v.object({ secret: v.string(), uri: v.string(), qrSvg: v.string() }),
      ),
      202: { description: "E-mail: a code was mailed; type it at POST /sign-in/mfa" },
      ...problems("validation_failed", "invalid_credentials", "forbidden", "rate_limited", "unavailable"),
    },
  }),
  jsonBody(EnrolBody),
  async (c) => {
    const body = c.req.valid("json");
    const enrolment = await enrolFirstFactor(scopeOf(c), c.var.tenant, body.mfaToken, body.type, requestLocale(c));
    if (!enrolment) return c.body(null, 202);
    c.header("Cache-Control", "no-store");
    return c.json(enrolment, 200);
  },
);

/**
 * Sets up the first factor of a person the sign-in `mfaToken` names, for this route and the hosted pages
 * alike: an authenticator app (answered: its key and QR code, confirmed by its first code at the second
 * step), or e-mail codes (undefined: a code is mailed at once, which confirms them at the second step).
 */
export async function enrolFirstFactor(scope: Scope, tenant: Tenant, mfaToken: string, type: "totp" | "email", locale: Locale): Promise<TotpEnrolment | undefined> {
  const challenge = await readChallenge(scope.db, tenant, mfaToken);
  const user = challenge && (await findUserById(scope.db, tenant.id, challenge.userId));
  if (!challenge || !user) throw invalidStep();
  if ((await enrolledFactors(scope.db, tenant, user.id)).length > 0) {
    throw new AppError("forbidden", { detail: "A second factor is already set up: answer with it; others are added once signed in" });
  }
  if (!tenant.mfa.factors.includes(type)) throw new AppError("forbidden", { detail: `This tenant does not allow ${type} as a second factor` });
  if (type === "totp") {
    const enrolment = await startTotpEnrolment(scope.db, await scope.config.secretBoxKey(), tenant, user);
    if (!enrolment) throw new AppError("forbidden", { detail: "An authenticator app is already set up" });
    return enrolment;
  }
  if (!user.email || !user.emailVerified) throw new AppError("forbidden", { detail: "E-mail codes need a confirmed address: confirm it first" });
  await scope.db
    .insert(secondFactors)
    .values({ id: crypto.randomUUID(), tenantId: tenant.id, userId: user.id, type: "email", createdAt: new Date() })
    .onConflictDoNothing();
  await mailChallengeCode(scope, tenant, challenge, user.email, locale);
  return undefined;
}
