// Rule X (external providers) with rule R (registration) and T (tenants), through the browser redirect
// flow against the local providers: who an external identity is in a tenant, when it may register, and
// why an e-mail never links it to an existing account.
import { describe, expect, it } from "vitest";
import { adminAuth } from "../support/admin";
import {
  appRedirect,
  attemptsOf,
  callback,
  followProvider,
  identitiesOf,
  meOf,
  MICROSOFT_DEFAULT_WORK_TID,
  newPerson,
  type OidcProviderName,
  redeem,
  setClaims,
  signInWith,
  startAuthorize,
  usersOf,
} from "../support/oidc";
import { eu, us, type Region } from "../support/regions";
import { json, openTenant } from "../support/tenants";
import { bearer } from "../support/users";

const providers = ["apple", "google", "microsoft"] as const;

/**
 * Claims of one person at `provider`: its own identity keys, an e-mail the provider vouches for (Google's
 * `email_verified`, Apple's every address, a Microsoft work directory's `xms_edov`), and names where it
 * gives them.
 */
function person(
  provider: OidcProviderName,
  email: string | null = `p-${crypto.randomUUID().slice(0, 8)}@example.com`,
  names = true,
  account: "work" | "personal" = "work",
) {
  const nameClaims = names && provider !== "apple" ? { given_name: "Pat", family_name: "Doe" } : {};
  return {
    claims: { ...newPerson(provider, account), email, email_verified: provider === "apple" ? "true" : true, xms_edov: true, ...nameClaims },
    // Apple gives the name in its form_post `user` field instead.
    user: names && provider === "apple" ? { name: { firstName: "Pat", lastName: "Doe" } } : undefined,
  };
}

function signIn(region: Region, tenant: string, provider: OidcProviderName, who: ReturnType<typeof person>, account: "work" | "personal" = "work") {
  return signInWith(region, tenant, { provider, account, claims: who.claims, user: who.user });
}

async function adminPatchUser(region: Region, tenant: string, userId: string, patch: Record<string, unknown>) {
  const response = await region.fetch(`/t/${tenant}/admin/users/${userId}`, { ...json(patch, await adminAuth(region, tenant)), method: "PATCH" });
  expect(response.status).toBe(200);
}

describe("rule R through a provider", () => {
  it.each(providers)("R %s: with registration closed, an unknown identity is registration_disabled and nothing is created", async (provider) => {
    const tenant = await openTenant(eu, { allowRegistration: false });
    const result = await signIn(eu, tenant.name, provider, person(provider));
    expect(result.redirect).toMatchObject({ error: "registration_disabled", code: null, state: result.started.appState });
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
    expect(await identitiesOf(eu, tenant.id)).toHaveLength(0);
  });

  it.each(providers)(
    "R before X %s: with registration closed, an address that has an account gets the same answer as one that has none (no address oracle)",
    async (provider) => {
      const tenant = await openTenant(eu, { allowRegistration: false });
      const known = await signIn(eu, tenant.name, provider, person(provider, `admin@${tenant.name}.example`));
      const unknown = await signIn(eu, tenant.name, provider, person(provider, `nobody-${crypto.randomUUID().slice(0, 8)}@example.com`));
      const answer = (r: typeof known) => ({ error: r.redirect.error, description: r.redirect.errorDescription, code: r.redirect.code });
      expect(answer(known)).toEqual({ error: "registration_disabled", description: expect.any(String), code: null });
      expect(answer(known)).toEqual(answer(unknown));
      expect(await usersOf(eu, tenant.id)).toHaveLength(1);
      expect(await identitiesOf(eu, tenant.id)).toHaveLength(0);
      expect((await attemptsOf(eu, tenant.id)).map((attempt) => attempt.code)).toEqual(["registration_disabled", "registration_disabled"]);
    },
  );

  it("R when new users wait for activation: account_pending_activation, the user waits, inactive, linked; an admin's activation lets it in", async () => {
    const tenant = await openTenant(eu, { newUsersActiveByDefault: false });
    const who = person("google");
    const first = await signIn(eu, tenant.name, "google", who);
    expect(first.redirect).toMatchObject({ error: "account_pending_activation", code: null });
    const [, waiting] = await usersOf(eu, tenant.id);
    expect(waiting).toMatchObject({ active: 0, activated_at: null, created_via: "google", email: who.claims.email });
    expect(await identitiesOf(eu, tenant.id)).toHaveLength(1);

    // Signing in again does not create another one; it still waits.
    expect((await signIn(eu, tenant.name, "google", who)).redirect.error).toBe("account_pending_activation");
    expect(await usersOf(eu, tenant.id)).toHaveLength(2);

    await adminPatchUser(eu, tenant.name, waiting!.id, { active: true });
    const activated = await signIn(eu, tenant.name, "google", who);
    expect(activated.tokenStatus).toBe(200);
    expect((await meOf(eu, tenant.name, activated.tokens!.access_token)).id).toBe(waiting!.id);
  });

  it("R a user an admin deactivated is account_inactive, not signed in", async () => {
    const tenant = await openTenant(eu);
    const who = person("microsoft");
    const first = await signIn(eu, tenant.name, "microsoft", who);
    const me = await meOf(eu, tenant.name, first.tokens!.access_token);
    await adminPatchUser(eu, tenant.name, me.id, { active: false });
    expect((await signIn(eu, tenant.name, "microsoft", who)).redirect).toMatchObject({ error: "account_inactive", code: null });
  });
});

describe("rule X: an e-mail never links", () => {
  it.each(providers)(
    "X %s: an unknown identity with the address of an existing account is external_auth_unavailable_for_existing_account; nothing linked or created",
    async (provider) => {
      const tenant = await openTenant(eu);
      const adminEmail = `ADMIN@${tenant.name.toUpperCase()}.example`; // the first admin's, in another case
      const result = await signIn(eu, tenant.name, provider, person(provider, adminEmail));
      expect(result.redirect).toMatchObject({ error: "external_auth_unavailable_for_existing_account", code: null, state: result.started.appState });
      expect(await usersOf(eu, tenant.id)).toHaveLength(1);
      expect(await identitiesOf(eu, tenant.id)).toHaveLength(0);
    },
  );

  it("E a Microsoft directory claiming an existing user's address without vouching for it: the address decides nothing, the admin is never signed in", async () => {
    const tenant = await openTenant(eu);
    const adminEmail = `admin@${tenant.name}.example`;
    for (const tid of [MICROSOFT_DEFAULT_WORK_TID, crypto.randomUUID()]) {
      const result = await signInWith(eu, tenant.name, {
        provider: "microsoft",
        claims: { tid, oid: crypto.randomUUID(), email: adminEmail, preferred_username: adminEmail, given_name: "Demo", family_name: "Admin" },
      });
      // A newcomer of its own, with no address: not the admin, and not refused on the admin's account.
      expect(result.tokenStatus).toBe(200);
      const me = await meOf(eu, tenant.name, result.tokens!.access_token);
      expect(me).toMatchObject({ email: null, emailVerified: false });
      expect(me.id).not.toBe(tenant.adminId);
    }
    const sessions = await eu.db.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?").bind(tenant.adminId).first<{ n: number }>();
    expect(sessions?.n).toBe(0);
    expect((await identitiesOf(eu, tenant.id)).map((identity) => identity.email)).toEqual([null, null]);
  });

  it("X an address refused in one tenant is no obstacle in another", async () => {
    const tenant = await openTenant(eu);
    const other = await openTenant(eu);
    const who = person("google", `admin@${tenant.name}.example`);
    expect((await signIn(eu, tenant.name, "google", who)).redirect.error).toBe("external_auth_unavailable_for_existing_account");
    expect((await signIn(eu, other.name, "google", who)).tokenStatus).toBe(200);
  });

  it("X a known identity is its own user even when its e-mail claim now names another account", async () => {
    const tenant = await openTenant(eu);
    const who = person("google");
    const me = await meOf(eu, tenant.name, (await signIn(eu, tenant.name, "google", who)).tokens!.access_token);
    const changed = { ...who, claims: { ...who.claims, email: `admin@${tenant.name}.example` } };
    const again = await signIn(eu, tenant.name, "google", changed);
    expect(again.tokenStatus).toBe(200);
    const now = await meOf(eu, tenant.name, again.tokens!.access_token);
    expect(now.id).toBe(me.id);
    expect(now.id).not.toBe(tenant.adminId);
  });

  it("X the key is (provider, subject): one subject at two providers is two identities", async () => {
    const tenant = await openTenant(eu);
    const sub = `shared-${crypto.randomUUID()}`;
    const atGoogle = await signInWith(eu, tenant.name, { provider: "google", claims: { sub, given_name: "Gus" } });
    const atApple = await signInWith(eu, tenant.name, { provider: "apple", claims: { sub }, user: { name: { firstName: "Abe" } } });
    const [g, a] = await Promise.all([atGoogle, atApple].map((r) => meOf(eu, tenant.name, r.tokens!.access_token)));
    expect(g!.id).not.toBe(a!.id);
    expect(g!.identities).toEqual(["google"]);
    expect(a!.identities).toEqual(["apple"]);
  });
});

describe("rule X: registration through a provider", () => {
  it("X names give a unique username, which the user may change later", async () => {
    const tenant = await openTenant(eu);
    const one = await signIn(eu, tenant.name, "google", person("google"));
    const two = await signIn(eu, tenant.name, "microsoft", person("microsoft"));
    const three = await signIn(eu, tenant.name, "apple", person("apple"));
    const names = await Promise.all([one, two, three].map(async (r) => (await meOf(eu, tenant.name, r.tokens!.access_token)).username));
    expect(names[0]).toBe("pat.doe");
    expect(names[1]).toMatch(/^pat\.doe\.?\d+$/);
    expect(names[2]).toMatch(/^pat\.doe\.?\d+$/);
    expect(new Set(names).size).toBe(3);

    const renamed = await eu.fetch(`/t/${tenant.name}/me`, { ...json({ username: "patricia" }, bearer(one.tokens!.access_token)), method: "PATCH" });
    expect(renamed.status).toBe(200);
    expect((await meOf(eu, tenant.name, one.tokens!.access_token)).username).toBe("patricia");
  });

  it.each(providers)("X %s: without a first or last name the account is Guest_{random}", async (provider) => {
    const tenant = await openTenant(eu);
    const first = await signIn(eu, tenant.name, provider, person(provider, undefined, false));
    const second = await signIn(eu, tenant.name, provider, person(provider, undefined, false));
    const [a, b] = await Promise.all([first, second].map((r) => meOf(eu, tenant.name, r.tokens!.access_token)));
    expect(a!.username).toMatch(/^Guest_[A-Za-z0-9]+$/);
    expect(b!.username).toMatch(/^Guest_[A-Za-z0-9]+$/);
    expect(a!.username).not.toBe(b!.username);
    expect(a).toMatchObject({ firstName: null, lastName: null });
  });

  it.each([
    ["google", "personal"],
    ["apple", "work"],
    ["microsoft", "personal"],
  ] as const)("X %s: the kind is the account the person chose (%s)", async (provider, account) => {
    const tenant = await openTenant(eu);
    const result = await signIn(eu, tenant.name, provider, person(provider, undefined, true, account), account);
    expect(await meOf(eu, tenant.name, result.tokens!.access_token)).toMatchObject({ kind: account, identities: [provider] });
    expect((await usersOf(eu, tenant.id))[1]).toMatchObject({ kind: account, created_via: provider });
  });

  /**
   * `count` browsers of one person, each through the provider up to its callback, then all the callbacks
   * at once: the requests race between "is this identity known?" and "create its user".
   */
  async function simultaneousFirstSignIns(provider: OidcProviderName, who: ReturnType<typeof person>, count = 6) {
    const tenant = await openTenant(eu);
    const flows = await Promise.all(
      Array.from({ length: count }, async () => {
        const started = await startAuthorize(eu, tenant.name, { provider, account: "work" });
        const answer = await followProvider(started.location);
        await setClaims(provider, answer.code, who.claims);
        return { started, answer };
      }),
    );
    const redirects = await Promise.all(
      flows.map(async ({ answer }) => appRedirect(await callback(eu, provider, { code: answer.code, state: answer.state, user: who.user }))),
    );
    return { tenant, flows, redirects };
  }

  it("X simultaneous first sign-ins of one identity make one user, and every one of them is signed in as that user", async () => {
    for (let round = 0; round < 3; round++) {
      // No e-mail: only the identity's own UNIQUE index can tell the requests apart.
      const { tenant, flows, redirects } = await simultaneousFirstSignIns("google", person("google", null, false));
      expect(redirects.map((redirect) => redirect.error)).toEqual(redirects.map(() => null));
      const tokens = await Promise.all(redirects.map(async (redirect, i) => (await redeem(eu, tenant.name, redirect.code!, flows[i]!.started.verifier)).json()));
      const ids = await Promise.all(tokens.map(async (t) => (await meOf(eu, tenant.name, (t as { access_token: string }).access_token)).id));
      expect(new Set(ids).size).toBe(1);
      expect(await usersOf(eu, tenant.id)).toHaveLength(2);
      expect(await identitiesOf(eu, tenant.id)).toHaveLength(1);
    }
  });

  it("X simultaneous first sign-ins of one identity that has an e-mail make one user, and none is refused as an existing account", async () => {
    for (let round = 0; round < 3; round++) {
      const { tenant, redirects } = await simultaneousFirstSignIns("microsoft", person("microsoft"));
      expect(await usersOf(eu, tenant.id)).toHaveLength(2);
      expect(await identitiesOf(eu, tenant.id)).toHaveLength(1);
      // The e-mail's account is this identity's own, created by the request that won the race.
      expect(redirects.map((redirect) => redirect.error)).toEqual(redirects.map(() => null));
    }
  });
});

describe("rule T: identities belong to a tenant", () => {
  it("T the same identity in two tenants, and in the other region, is a separate user in each", async () => {
    const a = await openTenant(eu);
    const b = await openTenant(eu);
    const c = await openTenant(us);
    const who = person("google");
    const users = await Promise.all(
      [
        [eu, a],
        [eu, b],
        [us, c],
      ].map(async ([region, tenant]) => {
        const r = region as Region;
        const t = tenant as typeof a;
        const result = await signIn(r, t.name, "google", who);
        expect(result.tokenStatus).toBe(200);
        return meOf(r, t.name, result.tokens!.access_token);
      }),
    );
    expect(new Set(users.map((user) => user.id)).size).toBe(3);
    expect(await identitiesOf(eu, a.id)).toHaveLength(1);
    expect(await identitiesOf(us, c.id)).toHaveLength(1);
  });

  it("L every provider sign-in is recorded, success or not, with its method and client", async () => {
    const tenant = await openTenant(eu, { allowRegistration: false });
    const refused = await signIn(eu, tenant.name, "microsoft", person("microsoft", "nobody@contoso.example"));
    expect(refused.redirect.error).toBe("registration_disabled");
    expect(await attemptsOf(eu, tenant.id)).toEqual([
      { login: "nobody@contoso.example", user_id: null, success: 0, code: "registration_disabled", method: "microsoft", client_id: "printid-mobile" },
    ]);
  });
});
