// Rule M, for every route at once: no route that issues tokens (or opens a browser's or the console's
// session) gives one to a person who owes a second factor and has not passed it. The routes are read from
// the route table itself (/openapi.json for the API: every operation whose answer carries an
// `access_token`; `buildApp().routes` for the pages' forms), and each must have a driver here that plays
// it for such a person, or a stated reason why it opens nothing: a new route that issues tokens fails this
// test until it is driven. Holes closed (Better Auth's: second factors enforced by hooks matched on paths,
// which new paths skipped): any token path that bypasses the one gate in tokens/issue.ts.
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { issueAuthorizationCode } from "../../src/tokens/codes";
import { database } from "../../src/db/client";
import { adminAuth, patchSettings } from "../support/admin";
import { newPerson, mintIdToken, postIdToken, redeem as redeemCode, signInWith } from "../support/oidc";
import { eu } from "../support/regions";
import { createTenant, json, uniqueSlug } from "../support/tenants";
import { APP_REDIRECT_URI, pkce, refresh, sha256Base64url } from "../support/tokens";
import { bearer, CLIENT_ID, PASSWORD, seedUser, signIn, tokensFor, type SeededUser } from "../support/users";
import { consoleSignIn } from "../console/support";
import { authorizeDevice, lastPolledAgo, poll, registerDevice } from "../devices/support";
import { authorization, browserAt, signInOnPage } from "../hosted/flow";
import { SoftwarePasskey, type CreationOptions, type RequestOptions } from "../support/webauthn";
import { enrolTotp, totpCode } from "./support";

/** The tenant, in `mfa.mode: all` once set up: everyone owes a second factor. */
interface World {
  tenant: string;
  tenantId: string;
  /** The tenant's admin, signed in before the policy: their bearer header (rule P lets it work until it expires). */
  admin: Record<string, string>;
  /** Has an authenticator app and a PIN: owes the app's code at every sign-in. */
  withApp: SeededUser & { secret: string; pin: string };
  /** Has no factor: must set one up before any token; holds a session from before the policy. */
  withoutFactor: SeededUser & { refreshToken: string };
  /** Has a passkey: a passkey alone is two factors. */
  withPasskey: SeededUser & { passkey: SoftwarePasskey };
}

let world: World;

async function setUp(): Promise<World> {
  const { name: tenant, body } = await createTenant(eu, uniqueSlug("gate"), { settings: { allowRegistration: true, newUsersActiveByDefault: true } });
  const tenantId = body.id;
  const admin = await adminAuth(eu, tenant);
  // While factors are optional, each person sets up what they have.
  const a = await seedUser(eu, tenantId);
  const aAuth = bearer((await tokensFor(eu, tenant, a.username)).access_token);
  const pin = ((await (await eu.fetch(`/t/${tenant}/me/pin`, json({}, aAuth))).json()) as { pin: string }).pin;
  const { secret } = await enrolTotp(eu, tenant, aAuth);
  const b = await seedUser(eu, tenantId);
  const refreshToken = (await tokensFor(eu, tenant, b.username)).refresh_token;
  const c = await seedUser(eu, tenantId);
  const cAuth = bearer((await tokensFor(eu, tenant, c.username)).access_token);
  const passkey = await SoftwarePasskey.create(eu.origin);
  const options = (await (await eu.fetch(`/t/${tenant}/me/factors/passkeys/options`, json({}, cAuth))).json()) as CreationOptions;
  expect((await eu.fetch(`/t/${tenant}/me/factors/passkeys`, json({ name: "Key", response: await passkey.attestation(options) }, cAuth))).status).toBe(201);
  // The tenant's admin has the app too (the console's sign-in is theirs), then everyone owes a factor.
  expect((await patchSettings({ region: eu, tenant, auth: admin }, { mfa: { mode: "all" } })).status).toBe(200);
  return { tenant, tenantId, admin, withApp: { ...a, secret, pin }, withoutFactor: { ...b, refreshToken }, withPasskey: { ...c, passkey } };
}

beforeAll(async () => {
  world = await setUp();
}, 60_000);

/** A JSON answer that must carry no token: its status and body. */
async function noToken(response: Response) {
  const text = await response.text();
  expect(text, text).not.toMatch(/"(access_token|refresh_token|id_token)"/);
  return { status: response.status, body: JSON.parse(text || "{}") as Record<string, unknown> };
}

/** Owed: `401 mfa_required` with an mfaToken (or, RFC 6749-shaped, `403 mfa_required` with `mfa_token`). */
async function expectSecondStep(response: Response) {
  const { status, body } = await noToken(response);
  if (status === 403) expect(body).toMatchObject({ error: "mfa_required", mfa_token: expect.any(String) });
  else expect({ status, code: body.code, mfaToken: typeof body.mfaToken }).toEqual({ status: 401, code: "mfa_required", mfaToken: "string" });
}

/** Each API operation whose answer carries tokens, played for a person who owes a second factor. */
const apiDrivers: Record<string, () => Promise<void>> = {
  "POST /t/{tenant}/sign-in": async () => {
    await expectSecondStep(await signIn(eu, world.tenant, { login: world.withApp.username, password: PASSWORD }));
    await expectSecondStep(await signIn(eu, world.tenant, { login: world.withoutFactor.username, password: PASSWORD }));
  },
  "POST /t/{tenant}/register": async () => {
    const response = await eu.fetch(`/t/${world.tenant}/register`, json({ email: `new-${crypto.randomUUID()}@example.com`, password: "a long new password", clientId: CLIENT_ID }));
    await expectSecondStep(response);
  },
  "POST /t/{tenant}/me/password": async () => {
    // An admin's temporary password: its change token signs the person in, through the gate.
    const person = await seedUser(eu, world.tenantId);
    await eu.fetch(`/t/${world.tenant}/admin/users/${person.id}`, { ...json({ password: "temporary pass 2026", mustChangePassword: true }, world.admin), method: "PATCH" });
    const changing = (await (await signIn(eu, world.tenant, { login: person.username, password: "temporary pass 2026" })).json()) as { changeToken: string };
    const response = await eu.fetch(`/t/${world.tenant}/me/password`, json({ changeToken: changing.changeToken, newPassword: "my very own passphrase", clientId: CLIENT_ID }));
    await expectSecondStep(response);
  },
  "POST /t/{tenant}/oauth/{provider}/id-token": async () => {
    await expectSecondStep(await postIdToken(eu, world.tenant, "google", { idToken: await mintIdToken("google", newPerson("google")) }));
  },
  "POST /t/{tenant}/token": async () => {
    // authorization_code: the app's own provider sign-in, whose code carries no second factor.
    const viaProvider = await signInWith(eu, world.tenant, { provider: "google" });
    expect(viaProvider.tokens).toBeUndefined();
    expect(viaProvider.tokenStatus).toBe(403);
    // authorization_code: a code issued without a second factor (as before the policy), redeemed now.
    const { verifier, challenge } = await pkce();
    const code = await issueAuthorizationCode(database(eu.db), {
      tenantId: world.tenantId,
      clientId: CLIENT_ID,
      redirectUri: APP_REDIRECT_URI,
      userId: world.withApp.id,
      method: "password",
      codeChallenge: challenge,
      scope: "openid",
      amr: ["pwd"],
    });
    await expectSecondStep(await redeemCode(eu, world.tenant, code, verifier));
    // refresh_token: a session opened before the tenant asked for a second factor is not renewed.
    const renewed = await noToken(await refresh(eu, world.tenant, world.withoutFactor.refreshToken));
    expect(renewed).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    // device_code: an approval that carried no second factor (as before the policy).
    const f = { region: eu, tenant: world.tenant, tenantId: world.tenantId, adminId: "", auth: world.admin };
    const device = await registerDevice(f);
    const codes = await authorizeDevice(f, device);
    await eu.db
      .prepare("UPDATE device_authorizations SET status = 'approved', user_id = ?, amr = ? WHERE device_code_hash = ?")
      .bind(world.withApp.id, JSON.stringify(["pwd"]), await sha256Base64url(codes.device_code))
      .run();
    await lastPolledAgo(eu, codes.device_code, 6);
    expect(await noToken(await poll(f, device, codes.device_code))).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  },
  "POST /t/{tenant}/panel/sign-in": async () => {
    const f = { region: eu, tenant: world.tenant, tenantId: world.tenantId, adminId: "", auth: world.admin };
    const panel = await registerDevice(f, { name: "Gate panel", kind: "panel" });
    await expectSecondStep(await eu.fetch(`/t/${world.tenant}/panel/sign-in`, json({ pin: world.withApp.pin }, panel.auth)));
  },
  "POST /t/{tenant}/sign-in/passkey": async () => {
    // A passkey alone is two factors: its tokens say so.
    const options = (await (await eu.fetch(`/t/${world.tenant}/sign-in/passkey/options`, { method: "POST" })).json()) as RequestOptions;
    const response = await eu.fetch(`/t/${world.tenant}/sign-in/passkey`, json({ response: await world.withPasskey.passkey.assertion(options), clientId: CLIENT_ID }));
    expect(response.status).toBe(200);
    expect(decodeJwt(((await response.json()) as { id_token: string }).id_token).amr).toContain("mfa");
  },
  "POST /t/{tenant}/sign-in/mfa": async () => {
    // The second step itself: tokens only for the factor, and then with it in amr.
    const first = (await (await signIn(eu, world.tenant, { login: world.withApp.username, password: PASSWORD })).json()) as { mfaToken: string };
    const wrong = await noToken(await eu.fetch(`/t/${world.tenant}/sign-in/mfa`, json({ mfaToken: first.mfaToken, code: "000000" })));
    expect(wrong.status).toBe(401);
    const right = await eu.fetch(`/t/${world.tenant}/sign-in/mfa`, json({ mfaToken: first.mfaToken, code: totpCode(world.withApp.secret, 1) }));
    expect(decodeJwt(((await right.json()) as { id_token: string }).id_token).amr).toContain("mfa");
  },
};

/** Whether an operation's success answer carries tokens. */
function issuesTokens(operation: Record<string, unknown>, tokenSchemas: Set<string>): boolean {
  const responses = operation.responses as Record<string, unknown>;
  const success = JSON.stringify(Object.entries(responses).filter(([status]) => status.startsWith("2")));
  return success.includes('"access_token"') || [...tokenSchemas].some((schema) => success.includes(`#/components/schemas/${schema}"`));
}

/** The pages' forms (POST) that could open a session or give a code, and how each is held to rule M. */
const pageRoutes: Record<string, (() => Promise<void>) | string> = {
  "/t/:tenant/authorize/password": async () => {
    const browser = browserAt();
    const response = await signInOnPage(browser, world.tenant, await authorization(), world.withApp.username, PASSWORD);
    expect(response.headers.get("Location"), "the second step's page, not a redirect with a code").toBeNull();
    expect(await response.text()).toContain('name="mfa_token"');
    expect(browser.cookie("printid_session")).toBeUndefined();
  },
  "/t/:tenant/authorize/register": "opens the browser's session through startSession (the gate): the same second step as the password",
  "/t/:tenant/authorize": "an authorization request sent as a form: the sign-in page, or a code of the browser's session, which the gate opened",
  "/t/:tenant/authorize/continue": "a code of the browser's session (which the gate opened), carrying its amr to /token's gate",
  "/t/:tenant/authorize/mfa": "the second step itself (factors/finish-sign-in.ts): a code only after the factor",
  "/t/:tenant/authorize/mfa/email": "mails the second step's code; opens nothing",
  "/t/:tenant/authorize/mfa/enrol": "sets up a first factor within the second step; opens nothing",
  "/t/:tenant/authorize/mfa/passkey": "a passkey's options for the second step; opens nothing",
  "/t/:tenant/authorize/passkey/options": "a passkey sign-in's options (a challenge); opens nothing",
  "/t/:tenant/authorize/passkey": "a passkey alone (factors/passkey-sign-in.ts → startSession, the gate): two factors in one (amr hwk, user, mfa)",
  "/t/:tenant/console/sign-in": async () => {
    const browser = browserAt();
    const response = await consoleSignIn(browser, world.tenant, "admin", PASSWORD);
    expect(response.headers.get("Location"), "the console's second step, not the console").toBeNull();
    expect(browser.cookie("printid_console"), "no console session").toBeUndefined();
  },
  "/t/:tenant/console/sign-in/mfa": "the console's second step (factors/finish-sign-in.ts): its session only after the factor",
  "/t/:tenant/console/sign-in/mfa/email": "mails the console's second step's code; opens nothing",
  "/t/:tenant/console/sign-in/mfa/enrol": "sets up a first factor within the console's second step; opens nothing",
  "/t/:tenant/device": "approves a device code from the browser's session: the approval carries its second factor (factors/step-up.ts approverAmr)",
};

/** The page forms this test looks at: those of the sub-apps that sign people in. */
const signsPeopleIn = /^\/t\/:tenant\/(authorize|console\/sign-in|device$)/;

describe("M every route that issues tokens applies the second factor", () => {
  it("M the route table's token-issuing operations are exactly those driven here", async () => {
    const document = (await (await eu.fetch("/openapi.json")).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { schemas: Record<string, unknown> };
    };
    const tokenSchemas = new Set(Object.entries(document.components.schemas).filter(([, schema]) => JSON.stringify(schema).includes('"access_token"')).map(([name]) => name));
    const issuing = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => issuesTokens(operation, tokenSchemas))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(issuing.sort()).toEqual(Object.keys(apiDrivers).sort());
  });

  it.each(Object.keys(apiDrivers))("M %s gives no token to a person who owes a second factor", async (operation) => {
    await apiDrivers[operation]!();
  });

  it("M the pages' sign-in forms are exactly those considered here", () => {
    const forms = new Set(buildApp().routes.filter((route) => route.method === "POST" && signsPeopleIn.test(route.path)).map((route) => route.path));
    expect([...forms].sort()).toEqual(Object.keys(pageRoutes).sort());
  });

  it.each(Object.entries(pageRoutes).filter(([, driver]) => typeof driver === "function").map(([path]) => path))(
    "M the page form %s opens no session for a person who owes a second factor",
    async (path) => {
      await (pageRoutes[path] as () => Promise<void>)();
    },
  );
});
