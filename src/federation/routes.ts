import { CodeChallengeMethod } from "arctic";
import type { Context } from "hono";
import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import { recordAttempt } from "../audit/attempts";
import { commit, type Write } from "../db/batch";
import { accountKinds, providerNames, type AccountKind, type ProviderName, type Tenant, type User } from "../db/schema";
import { scopeOf, type AppEnv } from "../http/context";
import { AppError, describe } from "../http/errors";
import { jsonResponse, problems } from "../http/openapi";
import { loggedError } from "../http/problem";
import { requestMeta } from "../http/request-meta";
import { defineRoute } from "../http/route";
import { formBody, jsonBody, pathParams, queryParams, validationFailed } from "../http/validation";
import { admitTenant } from "../tenants/admission";
import { tenantNamed } from "../tenants/middleware";
import { SLUG_PATTERN } from "../tenants/slug";
import { appClient, ClientId } from "../tokens/clients";
import { issueAuthorizationCode } from "../tokens/codes";
import { amrOfProvider } from "../factors/amr";
import { isSecondStep } from "../factors/challenges";
import { startSession } from "../tokens/issue";
import { sessionExists } from "../tokens/sessions";
import { TokenResponseSchema } from "../tokens/token-response";
import { exchangeCode, oauthClient } from "./exchange";
import { startFlow, takeFlow, tenantOfState, type Flow } from "./flows";
import { verifyIdToken } from "./id-token";
import type { GivenNames, Profile, Provider } from "./provider";
import { userForIdentity } from "./rule-x";
import { isSpentIdToken, spendIdToken } from "./used-id-tokens";

/**
 * The scope of tokens issued after a provider sign-in: an ID token for the app, as OIDC clients expect,
 * with the person's names and (when proven, rule E) address, which the app had from the provider anyway.
 */
const FEDERATED_SCOPE = "openid email profile";

const ProviderPath = v.object({ provider: v.picklist(providerNames) });
const Account = v.pipe(v.picklist(accountKinds), v.description("WORK ACCOUNT or PERSONAL ACCOUNT"));

/** The provider, when this Worker has its credentials and the tenant offers it for this kind of account. */
function offeredProvider(c: Context<AppEnv>, tenant: Tenant, name: ProviderName, account: (typeof accountKinds)[number]): Provider {
  const provider = c.var.config.providers.get(name);
  if (!provider || !tenant.providers[account].includes(name)) {
    throw validationFailed([{ path: "provider", message: `${name} is not offered for ${account} accounts here` }]);
  }
  return provider;
}

function knownClient(c: Context<AppEnv>, clientId: string, path: string) {
  const client = appClient(c.var.config, clientId);
  if (!client) throw validationFailed([{ path, message: "Not a registered app: a public client (a web application signs people in through /authorize)" }]);
  return client;
}

/** Rule L for providers too: every attempt is recorded, with the identity as the login. */
function attempt(c: Context<AppEnv>, tenant: Tenant, provider: ProviderName, clientId: string, outcome: { profile?: Profile; user?: User; code: string | null }) {
  return recordAttempt(
    c.var.db,
    {
      tenantId: tenant.id,
      at: new Date(),
      login: outcome.profile?.email ?? outcome.profile?.subject ?? "(no verified identity)",
      userId: outcome.user?.id ?? null,
      code: outcome.code,
      method: provider,
      clientId,
    },
    requestMeta(c.req.raw),
  );
}

/**
 * Validates the app and its exact redirect URI before anything else (a mismatch is a 400 here, never a
 * redirect), remembers the flow for a few minutes, and sends the browser to the provider with our own
 * state, nonce and PKCE challenge.
 */
export const authorize = defineRoute(
  describeRoute({
    tags: ["Sign-in with providers"],
    summary: "Start a browser sign-in with Apple, Google or Microsoft (RFC 8252, PKCE S256)",
    responses: {
      302: { description: "To the provider" },
      ...problems("validation_failed", "tenant_not_found", "tenant_disabled"),
    },
  }),
  pathParams(ProviderPath),
  queryParams(
    v.object({
      account: Account,
      client_id: ClientId,
      redirect_uri: v.pipe(v.string(), v.minLength(1), v.maxLength(2000)),
      state: v.pipe(v.string(), v.minLength(1), v.maxLength(500)),
      code_challenge: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, "The S256 challenge: 43 base64url characters")),
      code_challenge_method: v.literal("S256"),
    }),
  ),
  async (c) => {
    const { provider: name } = c.req.valid("param");
    const query = c.req.valid("query");
    const client = knownClient(c, query.client_id, "client_id");
    if (!client.redirectUris.includes(query.redirect_uri)) {
      throw validationFailed([{ path: "redirect_uri", message: "Not a redirect URI registered for this client" }]);
    }
    return redirectToProvider(c, name, query.account, {
      clientId: client.id,
      redirectUri: query.redirect_uri,
      appState: query.state,
      appCodeChallenge: query.code_challenge,
      resume: null,
    });
  },
);

/**
 * Remembers a flow of the request's tenant for a few minutes and sends the browser to the provider with
 * our own state, nonce and PKCE challenge. `resume`: the hosted sign-in's authorization request, which
 * the callback then continues (instead of answering an app's redirect URI).
 */
export async function redirectToProvider(
  c: Context<AppEnv>,
  name: ProviderName,
  account: AccountKind,
  answer: Pick<Flow, "clientId" | "redirectUri" | "appState" | "appCodeChallenge" | "resume">,
): Promise<Response> {
  const { tenant, config, db } = c.var;
  const provider = offeredProvider(c, tenant, name, account);
  const flow = await startFlow(db, tenant.slug, { tenantId: tenant.id, provider: name, account, ...answer });
  const url = oauthClient(provider, config.origin).createAuthorizationURLWithPKCE(
    provider.endpoints(account).authorization,
    flow.state,
    CodeChallengeMethod.S256,
    flow.codeVerifier,
    provider.scopes,
  );
  url.searchParams.set("nonce", flow.nonce);
  for (const [key, value] of Object.entries(provider.authorizationParams)) url.searchParams.set(key, value);
  return c.redirect(url.toString(), 302);
}

const CallbackParams = v.object({
  state: v.pipe(v.string(), v.minLength(1), v.maxLength(500)),
  code: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(4096))),
  error: v.optional(v.pipe(v.string(), v.maxLength(200))),
  /** Apple, first authorization only: `{"name":{"firstName","lastName"},"email"}`. */
  user: v.optional(v.pipe(v.string(), v.maxLength(4096))),
});
type CallbackParams = v.InferOutput<typeof CallbackParams>;

function appleNames(user: string | undefined): GivenNames {
  try {
    const parsed = user ? (JSON.parse(user) as { name?: { firstName?: unknown; lastName?: unknown } }) : {};
    const text = (value: unknown) => (typeof value === "string" ? value.slice(0, 100) : null);
    return { firstName: text(parsed.name?.firstName), lastName: text(parsed.name?.lastName) };
  } catch {
    return {};
  }
}

function backToApp(flow: Flow, params: Record<string, string>): Response {
  const url = new URL(flow.redirectUri);
  for (const [key, value] of Object.entries({ ...params, state: flow.appState })) url.searchParams.set(key, value);
  return new Response(null, { status: 302, headers: { Location: url.toString(), "Cache-Control": "no-store" } });
}

const callbackDoc = {
  tags: ["Sign-in with providers"],
  responses: {
    302: { description: "Back to the app: `?code&state`, or `?error&error_description&state`" },
    ...problems("validation_failed"),
  },
};

/**
 * How a provider sign-in begun on the hosted page goes on (src/hosted, wired in app.ts): with the person
 * it signed in, how (`amr`), and the attempt record to write with their session (or with the second step
 * it owes), or with the refusal, which the hosted page then shows. `resume` is the authorization request the flow carried.
 */
export type ContinueHostedSignIn = (
  c: Context<AppEnv>,
  outcome: { tenant: Tenant; resume: string } & (
    | { user: User; method: ProviderName; amr: string[]; attempt: (code: string | null) => Write }
    | { error: AppError }
  ),
) => Promise<Response>;

/** The region's callback routes: each flow goes back to the app that began it, or on to the hosted page. */
export function providerCallbacks(continueHosted: ContinueHostedSignIn) {
  return {
    callbackGet: defineRoute(
      describeRoute({ ...callbackDoc, summary: "The providers' redirect back (one per region)" }),
      pathParams(ProviderPath),
      queryParams(CallbackParams),
      (c) => finishFlow(c, c.req.valid("param").provider, c.req.valid("query"), continueHosted),
    ),
    callbackPost: defineRoute(
      describeRoute({ ...callbackDoc, summary: "Apple's form_post redirect back" }),
      pathParams(ProviderPath),
      formBody(CallbackParams),
      (c) => finishFlow(c, c.req.valid("param").provider, c.req.valid("form"), continueHosted),
    ),
  };
}

async function finishFlow(c: Context<AppEnv>, name: ProviderName, params: CallbackParams, continueHosted: ContinueHostedSignIn): Promise<Response> {
  const slug = tenantOfState(params.state);
  const spent = () =>
    new AppError("validation_failed", { detail: "This sign-in has expired or was already used: start again from the app" });
  if (!SLUG_PATTERN.test(slug)) throw spent();
  // The tenant's shard holds the flow; a disabled tenant is refused below, back at the app.
  // A state of a tenant this region does not serve is a sign-in it never started.
  const tenant = await tenantNamed(c, slug).catch((error: unknown) => {
    throw error instanceof AppError && error.code === "tenant_not_found" ? spent() : error;
  });
  const { db, config } = c.var;
  const flow = await takeFlow(db, tenant.id, name, params.state);
  if (!flow) throw spent();

  let profile: Profile | undefined;
  try {
    admitTenant(tenant);
    const provider = config.providers.get(name);
    if (params.error || !params.code || !provider) {
      // The provider's `error` is named only when it is an error code (RFC 6749 §4.1.2.1's are lower-case
      // words): anything else in the URL is the sender's text, and goes neither to the app nor to the log.
      const named = params.error && /^[a-z_]{1,64}$/.test(params.error) ? ` (${params.error})` : "";
      const detail = params.error ? `The provider refused the sign-in${named}.` : "The provider sent no authorization code back.";
      throw new AppError("provider_error", { detail });
    }
    const tokens = await exchangeCode(provider, flow.account, config.origin, params.code, flow.codeVerifier);
    let claims: Record<string, unknown>;
    ({ profile, claims } = await verifyIdToken(provider, tokens.idToken(), {
      account: flow.account,
      audiences: [provider.clientId],
      nonce: flow.nonce,
      refusal: "provider_error",
      given: name === "apple" ? appleNames(params.user) : {},
    }));
    const user = await userForIdentity(db, tenant, name, profile, flow.account);
    const amr = amrOfProvider(tenant.mfa.trustProviderMfa, claims.amr);
    const signedIn = (code: string | null) => attempt(c, tenant, name, flow.clientId, { profile, user, code });
    if (flow.resume !== null) return await continueHosted(c, { tenant, resume: flow.resume, user, method: name, amr, attempt: signedIn });
    // The app's code: rule M's gate applies when the app redeems it (POST /token answers `mfa_required`).
    const code = await issueAuthorizationCode(db, {
      tenantId: tenant.id,
      clientId: flow.clientId,
      redirectUri: flow.redirectUri,
      userId: user.id,
      method: name,
      codeChallenge: flow.appCodeChallenge,
      scope: FEDERATED_SCOPE,
      amr,
    });
    await commit(db, [signedIn(null)]);
    return backToApp(flow, { code });
  } catch (thrown) {
    // The flow is spent: whatever went wrong (the database included) goes back to the app, which can
    // start again, and is logged like any other error.
    const error = loggedError(c, thrown);
    await commit(db, [attempt(c, tenant, name, flow.clientId, { profile, code: error.code })]).catch(() => undefined);
    if (flow.resume !== null) return continueHosted(c, { tenant, resume: flow.resume, error });
    return backToApp(flow, { error: error.code, error_description: describe(error) });
  }
}

const IdTokenBody = v.pipe(
  v.object({
    idToken: v.pipe(v.string(), v.minLength(1), v.maxLength(8192)),
    nonce: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.maxLength(500),
        v.description("The nonce the app gave the provider's SDK; required when the token carries one (Apple's: its SHA-256, hex)"),
      ),
    ),
    account: Account,
    clientId: ClientId,
    firstName: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100), v.description("Apple: the name the SDK gave"))),
    lastName: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100))),
  }),
  v.metadata({ ref: "NativeIdToken" }),
);

/** The native SDK flow: the same checks and rule X as the callback, answered with tokens or a problem. */
export const idToken = defineRoute(
  describeRoute({
    tags: ["Sign-in with providers"],
    summary: "Sign in with an ID token from the provider's own SDK in the app",
    description:
      "The token is verified against the provider's keys (signature, `iss`, `aud`, `exp`, and its `nonce` against the request's). " +
      "Each provider ID token signs in once: presented again, it is `401 invalid_credentials`. The tokens granted have the scope " +
      "`openid email profile`.",
    responses: {
      200: jsonResponse("Signed in", TokenResponseSchema),
      ...problems(
        "validation_failed",
        "invalid_credentials",
        "registration_disabled",
        "account_pending_activation",
        "account_inactive",
        "external_auth_unavailable_for_existing_account",
        "provider_error",
        "tenant_not_found",
      ),
    },
  }),
  pathParams(ProviderPath),
  jsonBody(IdTokenBody),
  async (c) => {
    const { provider: name } = c.req.valid("param");
    const body = c.req.valid("json");
    knownClient(c, body.clientId, "clientId");
    const { tenant, db } = c.var;
    const provider = offeredProvider(c, tenant, name, body.account);

    let profile: Profile | undefined;
    let user: User | undefined;
    try {
      const verified = await verifyIdToken(provider, body.idToken, {
        account: body.account,
        audiences: [provider.clientId, ...provider.nativeClientIds],
        nonce: body.nonce,
        refusal: "invalid_credentials",
        given: body,
      });
      profile = verified.profile;
      user = await userForIdentity(db, tenant, name, profile, body.account);
      const sessionId = crypto.randomUUID();
      // `user` is reassigned above: the attempt's closure keeps this sign-in's person.
      const person = user;
      const grant = {
        tenant,
        user,
        clientId: body.clientId,
        method: name,
        scope: FEDERATED_SCOPE,
        nonce: body.nonce,
        sessionId,
        amr: amrOfProvider(tenant.mfa.trustProviderMfa, verified.claims.amr),
        attempt: (code: string | null) => attempt(c, tenant, name, body.clientId, { profile, user: person, code }),
      };
      // The token is used only if the session opens (or its second step waits): spent in the same batch, or
      // given back once the session is certainly not written (a write whose answer was lost may have committed).
      const tokens = await spendIdToken(c.var.config, db, body.idToken, verified.claims)
        .then((spent) =>
          startSession(scopeOf(c), grant, spent.writes).catch(async (error: unknown) => {
            if (isSecondStep(error)) throw error;
            if (!(await sessionExists(db, sessionId).catch(() => true))) await spent.giveBack().catch(() => undefined);
            throw error;
          }),
        )
        .catch((error: unknown) => {
          if (!isSpentIdToken(error)) throw error;
          throw new AppError("invalid_credentials", {
            detail: "This ID token has already been used to sign in: get a new one from the provider.",
            internal: `${name} ID token replayed`,
          });
        });
      c.header("Cache-Control", "no-store");
      return c.json(tokens, 200);
    } catch (error) {
      // The second step's wait is already recorded, with the session's writes.
      if (error instanceof AppError && !isSecondStep(error)) await commit(db, [attempt(c, tenant, name, body.clientId, { profile, user, code: error.code })]);
      throw error;
    }
  },
);
