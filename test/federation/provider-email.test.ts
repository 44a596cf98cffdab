// Rule E with rule X: an address a provider hands over is the person's only when the provider vouches for
// it (Google's `email_verified`, Apple, Microsoft's consumers directory or a work directory that verified
// it: `xms_edov`, `verified_primary_email`), and only if it is an address at all. Anyone with a free
// Entra directory can type any address into a work account's `email` claim ("nOAuth"): such an address
// is never stored, never matched against accounts, never asserted in printid's own ID token. That token
// carries `email` / `email_verified` only for the `email` scope, names only for `profile`.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import {
  type Account,
  identitiesOf,
  meOf,
  mintIdToken,
  newPerson,
  type OidcProviderName,
  postIdToken,
  signedIn,
  signInWith,
  usersOf,
} from "../support/oidc";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { seedUser, signIn, type TokenResponse } from "../support/users";

const address = () => `p-${crypto.randomUUID().slice(0, 8)}@example.com`;

/** Signs a new person up through the browser flow and answers what /me says of their address. */
async function registeredAddress(provider: OidcProviderName, claims: Record<string, unknown>, account: Account = "work") {
  const tenant = await openTenant(eu);
  const result = await signInWith(eu, tenant.name, { provider, account, claims: { ...newPerson(provider, account), given_name: "Eve", ...claims } });
  expect(result.tokenStatus).toBe(200);
  const me = await meOf(eu, tenant.name, result.tokens!.access_token);
  const [identityRow] = await identitiesOf(eu, tenant.id);
  return { tenant, tokens: result.tokens!, me, identityEmail: identityRow?.email };
}

describe("E which provider addresses are the person's", () => {
  it.each<[string, OidcProviderName, (email: string) => Record<string, unknown>, boolean, Account?]>([
    ["google with email_verified true", "google", (email) => ({ email, email_verified: true }), true],
    ['google with email_verified "true"', "google", (email) => ({ email, email_verified: "true" }), true],
    ["google with email_verified false", "google", (email) => ({ email, email_verified: false }), false],
    ['google with email_verified "false"', "google", (email) => ({ email, email_verified: "false" }), false],
    ["google without email_verified", "google", (email) => ({ email }), false],
    ["apple (it verifies every address it sends)", "apple", (email) => ({ email }), true],
    ["microsoft, the consumers directory", "microsoft", (email) => ({ email }), true, "personal"],
    ["microsoft, a work directory saying nothing more", "microsoft", (email) => ({ email }), false],
    ["microsoft, a work directory with xms_edov true", "microsoft", (email) => ({ email, xms_edov: true }), true],
    ['microsoft, a work directory with xms_edov "true"', "microsoft", (email) => ({ email, xms_edov: "true" }), true],
    ["microsoft, a work directory with xms_edov 1", "microsoft", (email) => ({ email, xms_edov: 1 }), true],
    ["microsoft, a work directory with xms_edov false", "microsoft", (email) => ({ email, xms_edov: false }), false],
    ["microsoft, verified_primary_email naming it", "microsoft", (email) => ({ email, verified_primary_email: email }), true],
    [
      "microsoft, verified_primary_email listing it in another case",
      "microsoft",
      (email) => ({ email, verified_primary_email: ["other@example.com", email.toUpperCase()] }),
      true,
    ],
    ["microsoft, verified_primary_email naming another address", "microsoft", (email) => ({ email, verified_primary_email: "other@example.com" }), false],
  ])("E %s: kept = %s", async (_, provider, claims, kept, account) => {
    const email = address();
    const { me, identityEmail } = await registeredAddress(provider, claims(email), account);
    expect(me).toMatchObject({ email: kept ? email : null, emailVerified: kept });
    expect(identityEmail).toBe(kept ? email : null);
  });

  it("E microsoft: a token without an email claim takes the address from verified_primary_email", async () => {
    const email = address();
    const { me } = await registeredAddress("microsoft", { email: null, verified_primary_email: [email] });
    expect(me).toMatchObject({ email, emailVerified: true });
  });

  it("E native flow: a work directory's unvouched address is dropped, the consumers directory's kept", async () => {
    const tenant = await openTenant(eu);
    const [work, personal] = [address(), address()];
    const workToken = await mintIdToken("microsoft", { ...newPerson("microsoft", "work"), email: work, given_name: "W" });
    const personalToken = await mintIdToken("microsoft", { ...newPerson("microsoft", "personal"), email: personal, given_name: "P" });
    const one = await signedIn(await postIdToken(eu, tenant.name, "microsoft", { idToken: workToken, account: "work" }));
    const two = await signedIn(await postIdToken(eu, tenant.name, "microsoft", { idToken: personalToken, account: "personal" }));
    expect(await meOf(eu, tenant.name, one.access_token)).toMatchObject({ email: null, emailVerified: false });
    expect(await meOf(eu, tenant.name, two.access_token)).toMatchObject({ email: personal, emailVerified: true });
  });
});

describe("E a provider address must be an address", () => {
  it.each([
    ["a username", "jdoe"],
    ["words", "not an address"],
    ["two @", "a@b@example.com"],
    ["longer than 254 characters", `${"x".repeat(250)}@example.com`],
  ])("E google: a verified email claim that is %s is dropped, the account gets none", async (_, claim) => {
    const { me, identityEmail } = await registeredAddress("google", { email: claim, email_verified: true });
    expect(me).toMatchObject({ email: null, emailVerified: false });
    expect(identityEmail).toBeNull();
  });

  it("L E a claim naming the admin's username is not stored as an e-mail: that login still resolves to the admin alone", async () => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "apple", claims: { sub: `sub-${crypto.randomUUID()}`, email: "admin" } });
    expect(result.tokenStatus).toBe(200);
    expect((await usersOf(eu, tenant.id))[1]).toMatchObject({ email: null, email_verified: 0 });
    const admin = await signIn(eu, tenant.name, { login: "admin", password: "correct horse battery" });
    expect(admin.status).toBe(200);
    const { access_token } = (await admin.json()) as TokenResponse;
    expect((await meOf(eu, tenant.name, access_token)).id).toBe(tenant.adminId);
  });
});

describe("E printid's own ID token", () => {
  it("E a provider sign-in is granted openid email profile: the proven address with email_verified true, and the names", async () => {
    const email = address();
    const { tokens, me } = await registeredAddress("google", { email, email_verified: true, given_name: "Jane", family_name: "Roe" });
    expect(tokens.scope).toBe("openid email profile");
    expect(decodeJwt(tokens.id_token!)).toMatchObject({
      sub: me.id,
      email,
      email_verified: true,
      name: "Jane Roe",
      given_name: "Jane",
      family_name: "Roe",
      preferred_username: me.username,
    });
  });

  it("E a person without a proven address: email_verified false, and no address", async () => {
    const { tokens } = await registeredAddress("microsoft", { email: address() });
    const claims = decodeJwt(tokens.id_token!);
    expect(claims.email_verified).toBe(false);
    expect(claims).not.toHaveProperty("email");
  });

  it("E MyQ sign-in: an unproven address is never asserted, whatever the scope; the names only for profile", async () => {
    const tenant = await openTenant(eu);
    const user = await seedUser(eu, tenant.id);
    const idTokenFor = async (scope: string) => {
      const response = await signIn(eu, tenant.name, { login: user.username, password: user.password, scope });
      expect(response.status).toBe(200);
      return decodeJwt(((await response.json()) as TokenResponse).id_token!);
    };

    const everything = await idTokenFor("openid email profile");
    expect(everything).toMatchObject({ email_verified: false, preferred_username: user.username, given_name: "Test", family_name: "User", name: "Test User" });
    expect(everything).not.toHaveProperty("email");

    const bare = await idTokenFor("openid");
    for (const claim of ["email", "email_verified", "preferred_username", "name", "given_name", "family_name"]) expect(bare).not.toHaveProperty(claim);

    await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    const proven = await idTokenFor("openid email");
    expect(proven).toMatchObject({ email: user.email, email_verified: true });
    expect(proven).not.toHaveProperty("preferred_username");
    expect(proven).not.toHaveProperty("name");
  });
});
