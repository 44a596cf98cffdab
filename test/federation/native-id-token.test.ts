// The native SDK flow (API.md): POST /t/{tenant}/oauth/{provider}/id-token with the ID token the app got
// from Apple's, Google's or Microsoft's own SDK. The token is checked against the provider's JWKS
// (signature, iss, aud among the web and native client ids, exp, nonce), then rule X decides, as in the
// redirect flow; refusals are problem+json. Tokens are minted by the stand-ins (scripts/stand-in-providers.mjs).
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import {
  identitiesOf,
  meOf,
  MICROSOFT_DEFAULT_WORK_TID,
  MICROSOFT_PERSONAL_TID,
  mintIdToken,
  newPerson,
  oidc,
  postIdToken,
  signedIn,
  signInWith,
  usersOf,
} from "../support/oidc";
import { eu, us } from "../support/regions";
import { json, openTenant } from "../support/tenants";

async function problem(response: Response, status: number, code: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("Content-Type")).toContain("application/problem+json");
  expect(JSON.parse(text)).toMatchObject({ status, code });
  expect(text).not.toMatch(/at .*\.ts:\d+|SELECT|sqlite/i); // rule S: no stack or SQL in an answer
}

async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

describe("a valid token from the provider's SDK", () => {
  it.each(["apple", "google", "microsoft"] as const)("X %s: signs a new person up and answers with our tokens", async (provider) => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken(provider, { ...newPerson(provider, "personal"), email: `n-${provider}@example.com`, email_verified: true, given_name: "Nat", family_name: "Ive" });
    const tokens = await signedIn(await postIdToken(eu, tenant.name, provider, { idToken, account: "personal", firstName: "Nat", lastName: "Ive" }));
    expect(decodeJwt(tokens.access_token).iss).toBe(`${eu.origin}/t/${tenant.name}`);
    const me = await meOf(eu, tenant.name, tokens.access_token);
    expect(me).toMatchObject({ kind: "personal", firstName: "Nat", lastName: "Ive", email: `n-${provider}@example.com`, identities: [provider] });
  });

  it.each([
    ["google", "google-android-client"],
    ["google", "google-web-client"],
    ["apple", "com.printid.web"],
    ["microsoft", "microsoft-web-client"],
  ] as const)("X %s: the audience may be any configured client id (%s)", async (provider, aud) => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken(provider, { ...newPerson(provider), aud });
    await signedIn(await postIdToken(eu, tenant.name, provider, { idToken }));
  });

  it("X apple: the names the SDK gave the app register the account; later sign-ins need none and keep them", async () => {
    const tenant = await openTenant(eu);
    const claims = { sub: `native-${crypto.randomUUID()}`, email: "ada@privaterelay.appleid.com", email_verified: "true", is_private_email: "true" };
    const first = await signedIn(await postIdToken(eu, tenant.name, "apple", { idToken: await mintIdToken("apple", claims), firstName: "Ada", lastName: "Lovelace" }));
    const me = await meOf(eu, tenant.name, first.access_token);
    expect(me).toMatchObject({ username: "ada.lovelace", firstName: "Ada", lastName: "Lovelace", email: "ada@privaterelay.appleid.com" });
    const later = await signedIn(await postIdToken(eu, tenant.name, "apple", { idToken: await mintIdToken("apple", claims) }));
    expect(await meOf(eu, tenant.name, later.access_token)).toMatchObject({ id: me.id, firstName: "Ada" });
  });

  it("X apple: the SDK's token carries the SHA-256 of the app's nonce, which is accepted; so is the nonce itself (Google)", async () => {
    const tenant = await openTenant(eu);
    const nonce = `n-${crypto.randomUUID()}`;
    const apple = await mintIdToken("apple", { sub: `native-${crypto.randomUUID()}`, nonce: await sha256Hex(nonce) });
    await signedIn(await postIdToken(eu, tenant.name, "apple", { idToken: apple, nonce }));
    const google = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}`, nonce });
    await signedIn(await postIdToken(eu, tenant.name, "google", { idToken: google, nonce }));
  });

  it("X an identity registered in the browser flow signs in natively as the same user", async () => {
    const tenant = await openTenant(eu);
    const sub = `both-${crypto.randomUUID()}`;
    const browser = await signInWith(eu, tenant.name, { provider: "google", claims: { sub, given_name: "Bo" } });
    const native = await signedIn(await postIdToken(eu, tenant.name, "google", { idToken: await mintIdToken("google", { sub }) }));
    expect((await meOf(eu, tenant.name, native.access_token)).id).toBe((await meOf(eu, tenant.name, browser.tokens!.access_token)).id);
  });

  it("X microsoft: the identity is (tid, oid), personal accounts included", async () => {
    const tenant = await openTenant(eu);
    const claims = { tid: MICROSOFT_PERSONAL_TID, oid: crypto.randomUUID(), given_name: "Mo" };
    const one = await signedIn(await postIdToken(eu, tenant.name, "microsoft", { idToken: await mintIdToken("microsoft", claims), account: "personal" }));
    const two = await signedIn(
      await postIdToken(eu, tenant.name, "microsoft", { idToken: await mintIdToken("microsoft", { ...claims, sub: "another-pairwise-sub" }), account: "personal" }),
    );
    expect((await meOf(eu, tenant.name, one.access_token)).id).toBe((await meOf(eu, tenant.name, two.access_token)).id);
    expect((await identitiesOf(eu, tenant.id))[0]?.subject).toBe(`${claims.tid}/${claims.oid}`);
  });
});

describe("WORK ACCOUNT and PERSONAL ACCOUNT with Microsoft", () => {
  // Work accounts sign in through Microsoft's `organizations` audience, personal ones through `consumers`
  // (DESIGN.md, rule X). In the browser flow Microsoft's authority enforces that; an SDK's token must be
  // held to it here, or a tenant offering Microsoft for work accounts only admits personal accounts too.
  it("X a personal Microsoft account's token (consumers tid) is not a WORK ACCOUNT", async () => {
    const tenant = await openTenant(eu, { providers: { work: ["microsoft"], personal: [] } });
    const idToken = await mintIdToken("microsoft", { tid: MICROSOFT_PERSONAL_TID, oid: crypto.randomUUID(), given_name: "Pers" });
    await problem(await postIdToken(eu, tenant.name, "microsoft", { idToken, account: "work" }), 401, "invalid_credentials");
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
  });

  it("X a work directory's token is not a PERSONAL ACCOUNT", async () => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken("microsoft", { tid: MICROSOFT_DEFAULT_WORK_TID, oid: crypto.randomUUID(), given_name: "Werk" });
    await problem(await postIdToken(eu, tenant.name, "microsoft", { idToken, account: "personal" }), 401, "invalid_credentials");
  });
});

describe("a token that is not good is invalid_credentials, and creates nothing", () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ["for another audience", "google", { aud: "someone-elses-app" }, {}],
    ["of another issuer", "google", { iss: "https://accounts.google.com.evil.example" }, {}],
    ["naming an issuer other than the configured one (Apple's real one)", "apple", { iss: "https://appleid.apple.com" }, {}],
    ["expired", "apple", {}, { expiresIn: -3600 }],
    ["signed by a key outside the provider's JWKS", "microsoft", {}, { foreignKey: true }],
    ["signed under an unknown kid", "google", {}, { kid: "rotated-away" }],
    ["without a subject", "google", { sub: null }, {}],
    ["of Microsoft without an oid", "microsoft", { oid: null }, {}],
    ["of Microsoft naming another directory in its issuer", "microsoft", { iss: "https://login.microsoftonline.com/other/v2.0" }, {}],
  ] as const)("S a token %s", async (_, provider, claims, options) => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken(provider, { ...newPerson(provider), given_name: "Eve", ...claims }, options);
    await problem(await postIdToken(eu, tenant.name, provider, { idToken }), 401, "invalid_credentials");
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
    expect(await identitiesOf(eu, tenant.id)).toHaveLength(0);
  });

  it("S the app's nonce must be in the token: another one, or none, is refused", async () => {
    const tenant = await openTenant(eu);
    const other = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}`, nonce: "not-yours" });
    await problem(await postIdToken(eu, tenant.name, "google", { idToken: other, nonce: "mine" }), 401, "invalid_credentials");
    const none = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}` });
    await problem(await postIdToken(eu, tenant.name, "google", { idToken: none, nonce: "mine" }), 401, "invalid_credentials");
  });

  it("S one provider's token is no good at another provider's endpoint", async () => {
    const tenant = await openTenant(eu);
    const google = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}`, aud: oidc.microsoft.nativeClientIds[0], tid: MICROSOFT_DEFAULT_WORK_TID, oid: crypto.randomUUID() });
    await problem(await postIdToken(eu, tenant.name, "microsoft", { idToken: google }), 401, "invalid_credentials");
  });

  it("S not a JWT at all, or an unsigned one (alg none)", async () => {
    const tenant = await openTenant(eu);
    await problem(await postIdToken(eu, tenant.name, "google", { idToken: "not-a-token" }), 401, "invalid_credentials");
    const encode = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const t = now();
    const unsigned = `${encode({ alg: "none", typ: "JWT" })}.${encode({ iss: oidc.google.issuer, aud: oidc.google.nativeClientIds[0], sub: "x", iat: t, exp: t + 600 })}.`;
    await problem(await postIdToken(eu, tenant.name, "google", { idToken: unsigned }), 401, "invalid_credentials");
  });
});

describe("rules R and X in the native flow", () => {
  it("R registration closed: 403 registration_disabled", async () => {
    const tenant = await openTenant(eu, { allowRegistration: false });
    const idToken = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}`, given_name: "Ric" });
    await problem(await postIdToken(eu, tenant.name, "google", { idToken }), 403, "registration_disabled");
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
  });

  it.each(["apple", "google", "microsoft"] as const)(
    "R before X %s: registration closed, an address that has an account is registration_disabled like any other, nothing linked",
    async (provider) => {
      const tenant = await openTenant(eu, { allowRegistration: false });
      const claims = (email: string) => ({ ...newPerson(provider), email, email_verified: true, xms_edov: true });
      const known = await postIdToken(eu, tenant.name, provider, { idToken: await mintIdToken(provider, claims(`admin@${tenant.name}.example`)) });
      const unknown = await postIdToken(eu, tenant.name, provider, { idToken: await mintIdToken(provider, claims(`nobody@${tenant.name}.example`)) });
      const answer = async (response: Response) => {
        const { status, code, title, detail } = (await response.json()) as Record<string, unknown>;
        return { status: response.status, body: { status, code, title, detail } };
      };
      const [a, b] = [await answer(known), await answer(unknown)];
      expect(a).toEqual({ status: 403, body: { status: 403, code: "registration_disabled", title: expect.any(String), detail: expect.any(String) } });
      expect(a).toEqual(b);
      expect(await identitiesOf(eu, tenant.id)).toHaveLength(0);
      expect(await usersOf(eu, tenant.id)).toHaveLength(1);
    },
  );

  it("R new users waiting for activation: 403 account_pending_activation, and no tokens", async () => {
    const tenant = await openTenant(eu, { newUsersActiveByDefault: false });
    const idToken = await mintIdToken("apple", { sub: `native-${crypto.randomUUID()}` });
    await problem(await postIdToken(eu, tenant.name, "apple", { idToken, firstName: "Wai", lastName: "Ting" }), 403, "account_pending_activation");
    const [, waiting] = await usersOf(eu, tenant.id);
    expect(waiting).toMatchObject({ active: 0, activated_at: null, first_name: "Wai" });
  });

  it.each(["apple", "google", "microsoft"] as const)(
    "X %s: an unknown identity with an existing account's address is 409 external_auth_unavailable_for_existing_account, nothing linked",
    async (provider) => {
      const tenant = await openTenant(eu);
      // Each provider vouching for the address (rule E): Google's email_verified, Microsoft's xms_edov.
      const idToken = await mintIdToken(provider, { ...newPerson(provider), email: `Admin@${tenant.name}.example`, email_verified: true, xms_edov: true });
      await problem(await postIdToken(eu, tenant.name, provider, { idToken }), 409, "external_auth_unavailable_for_existing_account");
      expect(await identitiesOf(eu, tenant.id)).toHaveLength(0);
      expect(await usersOf(eu, tenant.id)).toHaveLength(1);
    },
  );

  it("X google: an unverified address is no one's: the identity registers without it", async () => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}`, email: `admin@${tenant.name}.example`, email_verified: false, given_name: "Una" });
    const me = await meOf(eu, tenant.name, (await signedIn(await postIdToken(eu, tenant.name, "google", { idToken }))).access_token);
    expect(me.email).toBeNull();
    expect(me.id).not.toBe(tenant.adminId);
  });
});

describe("the request", () => {
  it.each([
    ["an unregistered client", { clientId: "someone-else" }],
    ["no account kind", { account: undefined }],
    ["an empty token", { idToken: "" }],
  ])("S %s is 400 validation_failed", async (_, change) => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}` });
    const body = { account: "work", clientId: "printid-mobile", idToken, ...change };
    const response = await eu.fetch(`/t/${tenant.name}/oauth/google/id-token`, json(body));
    await problem(response, 400, "validation_failed");
  });

  it("S a provider the tenant does not offer for that kind of account is 400", async () => {
    const tenant = await openTenant(eu, { providers: { work: ["apple"], personal: ["google"] } });
    const idToken = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}` });
    await problem(await postIdToken(eu, tenant.name, "google", { idToken, account: "work" }), 400, "validation_failed");
    await signedIn(await postIdToken(eu, tenant.name, "google", { idToken, account: "personal" }));
  });

  it("T an unknown tenant is 404; a us tenant signs in at us, with us tokens", async () => {
    const idToken = await mintIdToken("google", { sub: `native-${crypto.randomUUID()}` });
    await problem(await postIdToken(eu, "no-such-tenant-y2", "google", { idToken }), 404, "tenant_not_found");
    const tenant = await openTenant(us);
    const tokens = await signedIn(await postIdToken(us, tenant.name, "google", { idToken }));
    expect(decodeJwt(tokens.access_token).iss).toBe(`${us.origin}/t/${tenant.name}`);
    expect(await usersOf(us, tenant.id)).toHaveLength(2);
  });
});
