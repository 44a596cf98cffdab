import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { requireAppClient } from "../credentials/routes";
import { scopeOf } from "../http/context";
import { AppError } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { defineRoute } from "../http/route";
import { IdPath, jsonBody, pathParams } from "../http/validation";
import { ClientId, ScopeParam } from "../tokens/clients";
import { TokenResponseSchema } from "../tokens/token-response";
import { enrolledFactors } from "./enrolled";
import { signInWithPasskey } from "./passkey-sign-in";
import {
  authenticationOptions,
  MAX_PASSKEY_NAME_LENGTH,
  MAX_PASSKEYS_PER_PERSON,
  WEBAUTHN_CHALLENGE_MS,
  passkeysOf,
  registrationOptions,
  renamePasskey,
  type Passkey,
} from "./passkeys";
import { readChallenge } from "./challenges";
import { addPasskey, removeFactor, requireRemovable } from "./my-factors";
import { SecondFactorAnswer } from "./second-step";
import { requireFreshSecondFactor, StepUpFields } from "./step-up";
import { AuthenticationResponse, RegistrationResponse } from "./webauthn-json";

// Passkeys (issue 16): a signed-in person enrols them (options, then the browser's answer), names, lists
// and removes them; anyone may sign in with one (options, then the browser's assertion). The WebAuthn
// objects travel in the JSON forms of WebAuthn Level 3 (what PublicKeyCredential.toJSON() gives, and what
// @simplewebauthn/browser sends).

const challengeMinutes = WEBAUTHN_CHALLENGE_MS / 60_000;

const CredentialDescriptor = v.object({ id: v.string(), type: v.literal("public-key"), transports: v.optional(v.array(v.string())) });

const CreationOptions = v.pipe(
  v.looseObject({
    challenge: v.string(),
    rp: v.object({ id: v.string(), name: v.string() }),
    user: v.object({ id: v.string(), name: v.string(), displayName: v.string() }),
    pubKeyCredParams: v.array(v.object({ type: v.literal("public-key"), alg: v.number() })),
    timeout: v.number(),
    excludeCredentials: v.array(CredentialDescriptor),
    authenticatorSelection: v.looseObject({ residentKey: v.string(), userVerification: v.string() }),
    attestation: v.string(),
  }),
  v.description(
    "WebAuthn's PublicKeyCredentialCreationOptionsJSON, for `PublicKeyCredential.parseCreationOptionsFromJSON()` " +
      `(or @simplewebauthn/browser's \`startRegistration\`). The relying party is the region's origin host; the challenge is good for ${challengeMinutes} minutes, once.`,
  ),
  v.metadata({ ref: "WebAuthnCreationOptions" }),
);

const RequestOptions = v.pipe(
  v.looseObject({
    challenge: v.string(),
    rpId: v.string(),
    timeout: v.number(),
    allowCredentials: v.array(CredentialDescriptor),
    userVerification: v.string(),
  }),
  v.description(
    "WebAuthn's PublicKeyCredentialRequestOptionsJSON, for `PublicKeyCredential.parseRequestOptionsFromJSON()` " +
      "(or @simplewebauthn/browser's `startAuthentication`, conditional UI included). `allowCredentials` is empty: any " +
      `passkey of this site may answer. The challenge is good for ${challengeMinutes} minutes, once.`,
  ),
  v.metadata({ ref: "WebAuthnRequestOptions" }),
);

const PasskeyName = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(MAX_PASSKEY_NAME_LENGTH), v.description("What the person calls it, e.g. \"Work laptop\""));

const PasskeyView = v.pipe(
  v.object({ id: v.string(), name: v.string(), createdAt: v.string(), lastUsedAt: v.nullable(v.string()) }),
  v.metadata({ ref: "Passkey" }),
);

const passkeyView = (passkey: Passkey) => ({
  id: passkey.id,
  name: passkey.name,
  createdAt: passkey.createdAt.toISOString(),
  lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
});


const noSuchPasskey = () => new AppError("not_found", { detail: "No such passkey of yours" });

export const myPasskeyOptions = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Begin enrolling a passkey: the options for the browser's navigator.credentials.create()",
    description: `A new request replaces the options asked for before. A person has at most ${MAX_PASSKEYS_PER_PERSON} passkeys.`,
    responses: { 200: jsonResponse("The options", CreationOptions), ...problems("validation_failed", "unauthorized", "account_inactive", "mfa_required", "invalid_credentials") },
  }),
  // Rule M: adding a passkey changes the person's factors: a fresh second factor first, when they have one.
  jsonBody(v.object(StepUpFields)),
  async (c) => {
    const { db, config, tenant, principal } = c.var;
    await requireFreshSecondFactor(scopeOf(c), tenant, principal, c.req.valid("json"));
    c.header("Cache-Control", "no-store");
    return c.json(await registrationOptions(db, config, tenant, principal.user), 200);
  },
);

export const addMyPasskey = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Finish enrolling a passkey: the browser's new credential, and its name",
    description:
      "The credential must answer my open options (once), made for this region's origin. A used or expired challenge, " +
      "another origin or relying party, a credential already registered in the tenant: `400 validation_failed`.",
    responses: {
      201: jsonResponse(
        "Enrolled; a first factor comes with recovery codes, shown this once",
        v.object({ ...PasskeyView.entries, recoveryCodes: v.optional(v.array(v.string())) }),
      ),
      ...problems("validation_failed", "unauthorized", "account_inactive"),
    },
  }),
  jsonBody(v.pipe(v.object({ name: PasskeyName, response: RegistrationResponse }), v.metadata({ ref: "NewPasskey" }))),
  async (c) => {
    const { tenant, principal } = c.var;
    const { name, response } = c.req.valid("json");
    const { passkey, recoveryCodes } = await addPasskey(scopeOf(c), tenant, principal.user.id, name, response);
    c.header("Cache-Control", "no-store");
    return c.json({ ...passkeyView(passkey), ...(recoveryCodes && { recoveryCodes }) }, 201);
  },
);

export const listMyPasskeys = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "My passkeys, newest first, with their last use",
    responses: { 200: jsonResponse("The passkeys", v.object({ items: v.array(PasskeyView) })), ...problems("unauthorized", "account_inactive") },
  }),
  async (c) => c.json({ items: (await passkeysOf(c.var.db, c.var.tenant.id, c.var.principal.user.id)).map(passkeyView) }, 200),
);

export const renameMyPasskey = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Rename one of my passkeys",
    responses: { 200: jsonResponse("Renamed", PasskeyView), ...problems("validation_failed", "unauthorized", "account_inactive", "not_found") },
  }),
  pathParams(IdPath),
  jsonBody(v.object({ name: PasskeyName })),
  async (c) => {
    const { db, tenant, principal } = c.var;
    const renamed = await renamePasskey(db, tenant.id, principal.user.id, c.req.valid("param").id, c.req.valid("json").name);
    if (!renamed) throw noSuchPasskey();
    return c.json(passkeyView(renamed), 200);
  },
);

export const removeMyPasskey = defineRoute(
  describeRoute({
    tags: ["Signed-in user"],
    summary: "Remove one of my passkeys: it signs nobody in any more; the last factor stays while the tenant requires one",
    responses: {
      204: { description: "Removed" },
      ...problems("validation_failed", "unauthorized", "account_inactive", "forbidden", "not_found", "mfa_required", "invalid_credentials"),
    },
  }),
  pathParams(IdPath),
  jsonBody(v.object(StepUpFields)),
  async (c) => {
    const scope = scopeOf(c);
    const { tenant, principal } = c.var;
    const removed = { type: "passkey" as const, id: c.req.valid("param").id };
    await requireRemovable(scope, tenant, principal.user, removed);
    await requireFreshSecondFactor(scope, tenant, principal, c.req.valid("json"));
    await removeFactor(scope, tenant, principal.user.id, removed);
    return c.body(null, 204);
  },
);

export const passkeySignInOptions = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "Begin a sign-in with a passkey: the options for the browser's navigator.credentials.get()",
    responses: { 200: jsonResponse("The options", RequestOptions), ...problems("tenant_not_found", "tenant_disabled") },
  }),
  async (c) => {
    const { db, config, tenant } = c.var;
    c.header("Cache-Control", "no-store");
    return c.json(await authenticationOptions(db, config, tenant, { userId: null, userVerification: "required" }), 200);
  },
);

const PasskeySignInBody = v.pipe(
  v.object({
    response: AuthenticationResponse,
    clientId: ClientId,
    scope: v.optional(v.pipe(ScopeParam, v.description("`openid` (the default) adds an ID token")), "openid"),
  }),
  v.metadata({ ref: "PasskeySignIn" }),
);

export const passkeySignIn = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "Sign in with a passkey alone: the browser's assertion for the sign-in options",
    description:
      "The passkey must verify its person (PIN or biometrics): it counts as two factors (`amr` hwk, user, mfa). An unknown " +
      "passkey, a wrong signature, a used or expired challenge and a cloned authenticator are answered alike (`invalid_credentials`).",
    responses: {
      200: jsonResponse("Signed in", TokenResponseSchema),
      ...problems("validation_failed", "invalid_credentials", "account_inactive", "email_unverified", "tenant_not_found", "tenant_disabled"),
    },
  }),
  jsonBody(PasskeySignInBody),
  async (c) => {
    const input = c.req.valid("json");
    requireAppClient(c.var.config, input.clientId);
    const tokens = await signInWithPasskey(scopeOf(c), c.var.tenant, input);
    c.header("Cache-Control", "no-store");
    return c.json(tokens, 200);
  },
);

/**
 * A passkey as the second step (rule M): the options for the person an mfaToken names (their passkeys,
 * user verification preferred: the first step already proved something), whose assertion then goes to
 * POST …/sign-in/mfa (or back to the change that asked) as `webauthnResponse`.
 */
export const secondStepPasskeyOptions = defineRoute(
  describeRoute({
    tags: ["Sign-in"],
    summary: "A passkey as the second step: the options for navigator.credentials.get(), for the person the mfaToken names",
    responses: {
      200: jsonResponse("The options", RequestOptions),
      ...problems("validation_failed", "invalid_credentials", "forbidden", "rate_limited"),
    },
  }),
  jsonBody(v.object({ mfaToken: SecondFactorAnswer.mfaToken })),
  async (c) => {
    const { db, config, tenant } = c.var;
    const challenge = await readChallenge(db, tenant, c.req.valid("json").mfaToken);
    if (!challenge) throw new AppError("invalid_credentials", { detail: "This second step is not valid, has expired or was already used: sign in again" });
    if (!(await enrolledFactors(db, tenant, challenge.userId)).includes("passkey")) throw new AppError("forbidden", { detail: "This person has no passkey" });
    c.header("Cache-Control", "no-store");
    return c.json(await authenticationOptions(db, config, tenant, { userId: challenge.userId, userVerification: "preferred" }), 200);
  },
);
