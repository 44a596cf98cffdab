// The browser redirect flow of "Sign in with Apple, Google or Microsoft" (API.md; rules X and S), end to
// end against the stand-ins (scripts/stand-in-providers.mjs): the app's authorize request, the provider,
// the Worker's callback (Apple: form_post), the app's code, the token endpoint. Each provider is driven the
// way it really answers: Apple sends names only in the form_post `user` field of the first authorization;
// Google's e-mail counts only when verified; Microsoft's identity is its (tid, oid) pair. Our request to the
// provider carries our own state, nonce and PKCE S256. The refusals along the flow: redirect-refusals.
import { decodeJwt, exportJWK, importJWK, importPKCS8, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import {
  appRedirect,
  callback,
  followProvider,
  identitiesOf,
  meOf,
  MICROSOFT_DEFAULT_WORK_TID,
  MICROSOFT_PERSONAL_TID,
  newSubject,
  oidc,
  redeem,
  signInWith,
  startAuthorize,
  tokenRequestsFor,
  usersOf,
  type OidcProviderName,
} from "../support/oidc";
import { eu, us } from "../support/regions";
import { openTenant } from "../support/tenants";
import { APP_REDIRECT_URI, pkce, sha256Base64url } from "../support/tokens";

describe("the request to the provider", () => {
  it.each(["google", "microsoft"] as const)("S %s: code flow with our own state, nonce and PKCE S256, to our regional callback", async (provider) => {
    const tenant = await openTenant(eu);
    const { challenge } = await pkce();
    const started = await startAuthorize(eu, tenant.name, { provider, account: "work", codeChallenge: challenge, state: "app-state-1" });
    const url = started.location;
    const params = Object.fromEntries(url.searchParams);

    expect(`${url.origin}${url.pathname}`).toBe(oidc[provider].authorizationEndpoint);
    expect(params).toMatchObject({
      response_type: "code",
      client_id: oidc[provider].clientId,
      redirect_uri: `${eu.origin}/oauth/${provider}/callback`,
      scope: "openid email profile",
      code_challenge_method: "S256",
    });
    // Fresh values of our own towards the provider: the app's state and challenge stay with us.
    // The state names the tenant (the callback is the region's, and the tenant's shard holds the flow).
    expect(params.state).toMatch(new RegExp(`^${tenant.name}\\.[\\w-]{20,}$`));
    expect(params.nonce).toMatch(/^[\w-]{20,}$/);
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(params.state).not.toBe("app-state-1");
    expect(params.code_challenge).not.toBe(challenge);
    expect(url.href).not.toContain("app-state-1");
  });

  it("S apple: form_post, scope openid email name", async () => {
    const tenant = await openTenant(eu);
    const { location } = await startAuthorize(eu, tenant.name, { provider: "apple", account: "personal" });
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: "code",
      response_mode: "form_post",
      client_id: oidc.apple.clientId,
      redirect_uri: `${eu.origin}/oauth/apple/callback`,
      scope: "openid email name",
      code_challenge_method: "S256",
    });
  });

  it("S every sign-in starts with a new state, nonce and verifier", async () => {
    const tenant = await openTenant(eu);
    const one = (await startAuthorize(eu, tenant.name, { provider: "google", account: "work" })).location.searchParams;
    const two = (await startAuthorize(eu, tenant.name, { provider: "google", account: "work" })).location.searchParams;
    for (const name of ["state", "nonce", "code_challenge"]) expect(one.get(name)).not.toBe(two.get(name));
  });

  it("S the code exchange sends the verifier of that challenge, the callback URI and the client's secret", async () => {
    const tenant = await openTenant(eu);
    const { started, answer, redirect } = await signInWith(eu, tenant.name, { provider: "google", claims: { sub: newSubject() } });
    expect(redirect.code).toBeTruthy();
    const [request, ...more] = await tokenRequestsFor("google", answer.code);
    expect(more).toHaveLength(0);
    expect(request?.body).toMatchObject({
      grant_type: "authorization_code",
      code: answer.code,
      redirect_uri: `${eu.origin}/oauth/google/callback`,
      client_id: oidc.google.clientId,
      client_secret: oidc.google.clientSecret,
    });
    expect(await sha256Base64url(request!.body.code_verifier!)).toBe(started.location.searchParams.get("code_challenge"));
  });

  it("S Apple's client secret is a short-lived ES256 JWT of the team, for the Services ID, signed with APPLE_PRIVATE_KEY", async () => {
    const tenant = await openTenant(eu);
    const { answer, redirect } = await signInWith(eu, tenant.name, { provider: "apple", claims: { sub: newSubject() } });
    expect(redirect.code).toBeTruthy();
    const [request] = await tokenRequestsFor("apple", answer.code);
    expect(request?.authorization).toBeNull(); // client_secret_post, as Apple requires
    const privateJwk = await exportJWK(await importPKCS8(oidc.apple.privateKey, "ES256", { extractable: true }));
    const { d: _private, ...publicJwk } = privateJwk;
    const { payload, protectedHeader } = await jwtVerify(request!.body.client_secret!, await importJWK(publicJwk, "ES256"), {
      issuer: oidc.apple.teamId,
      subject: oidc.apple.clientId,
      audience: oidc.apple.issuer,
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: oidc.apple.keyId });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3600);
  });
});

describe("signing in with each provider", () => {
  it("X google: an unknown identity registers, with its verified e-mail and names; the same identity signs in again", async () => {
    const tenant = await openTenant(eu);
    const claims = { sub: newSubject(), email: "Jane.Roe@Gmail.example", email_verified: true, given_name: "Jane", family_name: "Roe" };
    const first = await signInWith(eu, tenant.name, { provider: "google", account: "work", claims });
    expect(first.redirect).toMatchObject({ error: null, state: first.started.appState });
    expect(first.redirect.url.href.startsWith(`${APP_REDIRECT_URI}?`)).toBe(true);
    expect(first.tokenStatus).toBe(200);
    const me = await meOf(eu, tenant.name, first.tokens!.access_token);
    expect(me).toMatchObject({ username: "jane.roe", email: "Jane.Roe@Gmail.example", firstName: "Jane", lastName: "Roe", kind: "work", active: true });
    expect(me.identities).toEqual(["google"]);

    const again = await signInWith(eu, tenant.name, { provider: "google", account: "work", claims: { ...claims, given_name: "Janet" } });
    expect(again.tokenStatus).toBe(200);
    expect((await meOf(eu, tenant.name, again.tokens!.access_token)).id).toBe(me.id);
    expect(await usersOf(eu, tenant.id)).toHaveLength(2); // the admin and Jane
  });

  it("X google: an e-mail Google has not verified is not the person's: not stored, not matched against accounts", async () => {
    const tenant = await openTenant(eu);
    const adminEmail = `admin@${tenant.name}.example`; // the tenant's first admin
    const result = await signInWith(eu, tenant.name, {
      provider: "google",
      claims: { sub: newSubject(), email: adminEmail, email_verified: false, given_name: "Mallory" },
    });
    expect(result.redirect.error).toBeNull();
    const me = await meOf(eu, tenant.name, result.tokens!.access_token);
    expect(me.email).toBeNull();
    expect(me.id).not.toBe(tenant.adminId);
    expect((await identitiesOf(eu, tenant.id)).map((identity) => identity.user_id)).toEqual([me.id]);
  });

  it("X apple (form_post): the name of the first authorization's `user` field is kept; later ones come without it", async () => {
    const tenant = await openTenant(eu);
    const claims = { sub: newSubject(), email: "ann.apple@icloud.example", email_verified: "true" };
    const first = await signInWith(eu, tenant.name, {
      provider: "apple",
      method: "POST",
      claims,
      user: { name: { firstName: "Ann", lastName: "Appleseed" }, email: "ann.apple@icloud.example" },
    });
    expect(first.tokenStatus).toBe(200);
    const me = await meOf(eu, tenant.name, first.tokens!.access_token);
    expect(me).toMatchObject({ username: "ann.appleseed", firstName: "Ann", lastName: "Appleseed", email: "ann.apple@icloud.example" });

    const later = await signInWith(eu, tenant.name, { provider: "apple", method: "POST", claims });
    expect(later.tokenStatus).toBe(200);
    expect(await meOf(eu, tenant.name, later.tokens!.access_token)).toMatchObject({ id: me.id, firstName: "Ann", lastName: "Appleseed" });
  });

  it("X apple: names in the ID token are not Apple's way and are ignored; without the `user` field the account is a Guest_", async () => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, {
      provider: "apple",
      claims: { sub: newSubject(), email: "x@icloud.example", given_name: "Not", family_name: "Apple" },
    });
    const me = await meOf(eu, tenant.name, result.tokens!.access_token);
    expect(me.username).toMatch(/^Guest_\d+$/);
    expect(me).toMatchObject({ firstName: null, lastName: null });
  });

  it("X apple: a private-relay address is accepted as the account's e-mail", async () => {
    const tenant = await openTenant(eu);
    const relay = `${crypto.randomUUID().slice(0, 10)}@privaterelay.appleid.com`;
    const result = await signInWith(eu, tenant.name, {
      provider: "apple",
      claims: { sub: newSubject(), email: relay, email_verified: "true", is_private_email: "true" },
      user: { name: { firstName: "Hidden", lastName: "Person" } },
    });
    expect(result.tokenStatus).toBe(200);
    expect((await meOf(eu, tenant.name, result.tokens!.access_token)).email).toBe(relay);
  });

  it("X apple: its callback also takes GET", async () => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "apple", method: "GET", claims: { sub: newSubject() } });
    expect(result.tokenStatus).toBe(200);
  });

  it("X microsoft: WORK ACCOUNT and PERSONAL ACCOUNT are recorded as the user's kind", async () => {
    const tenant = await openTenant(eu);
    const work = await signInWith(eu, tenant.name, {
      provider: "microsoft",
      account: "work",
      claims: { tid: MICROSOFT_DEFAULT_WORK_TID, oid: crypto.randomUUID(), given_name: "Wanda", family_name: "Work", email: "wanda@contoso.example" },
    });
    const personal = await signInWith(eu, tenant.name, {
      provider: "microsoft",
      account: "personal",
      claims: { tid: MICROSOFT_PERSONAL_TID, oid: crypto.randomUUID(), given_name: "Pete", family_name: "Personal", email: "pete@outlook.example" },
    });
    expect(await meOf(eu, tenant.name, work.tokens!.access_token)).toMatchObject({ kind: "work", username: "wanda.work" });
    expect(await meOf(eu, tenant.name, personal.tokens!.access_token)).toMatchObject({ kind: "personal", username: "pete.personal" });
  });

  it("X microsoft: the identity is (tid, oid): a new sub of the same pair is the same user, the same oid in another directory is not", async () => {
    const tenant = await openTenant(eu);
    const oid = crypto.randomUUID();
    const otherTid = crypto.randomUUID();
    const first = await signInWith(eu, tenant.name, { provider: "microsoft", claims: { tid: MICROSOFT_DEFAULT_WORK_TID, oid, sub: newSubject(), given_name: "Max" } });
    const sameUser = await signInWith(eu, tenant.name, { provider: "microsoft", claims: { tid: MICROSOFT_DEFAULT_WORK_TID, oid, sub: newSubject() } });
    const otherUser = await signInWith(eu, tenant.name, { provider: "microsoft", claims: { tid: otherTid, oid, sub: newSubject(), given_name: "Max" } });
    const [a, b, c] = await Promise.all([first, sameUser, otherUser].map((r) => meOf(eu, tenant.name, r.tokens!.access_token)));
    expect(b!.id).toBe(a!.id);
    expect(c!.id).not.toBe(a!.id);
    expect((await identitiesOf(eu, tenant.id)).map((identity) => identity.subject).sort()).toEqual(
      [`${MICROSOFT_DEFAULT_WORK_TID}/${oid}`, `${otherTid}/${oid}`].sort(),
    );
  });

  it("X microsoft: a token without tid or oid identifies nobody: provider_error, nothing created", async () => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "microsoft", claims: { oid: null, email: "no-oid@contoso.example" } });
    expect(result.redirect.error).toBe("provider_error");
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
  });

  it("T the us region has its own callback; a sign-in there creates the user in us only", async () => {
    const tenant = await openTenant(us);
    const started = await startAuthorize(us, tenant.name, { provider: "google", account: "work" });
    expect(started.location.searchParams.get("redirect_uri")).toBe(`${us.origin}/oauth/google/callback`);
    const answer = await followProvider(started.location);
    // The eu callback does not know a flow started in us.
    const wrongRegion = await callback(eu, "google", { code: answer.code, state: answer.state });
    expect(wrongRegion.status).toBe(400);
    expect(wrongRegion.headers.get("Location")).toBeNull();

    // The flow is still there, and the provider's code unspent: eu refused before reaching the provider.
    const redirect = await appRedirect(await callback(us, "google", { code: answer.code, state: answer.state }));
    expect(redirect.error).toBeNull();
    const tokens = await redeem(us, tenant.name, redirect.code!, started.verifier);
    expect(tokens.status).toBe(200);
    const { access_token } = (await tokens.json()) as { access_token: string };
    expect(decodeJwt(access_token).iss).toBe(`${us.origin}/t/${tenant.name}`);
    expect(await usersOf(us, tenant.id)).toHaveLength(2);
  });

  it.each(["apple", "google", "microsoft"] as const)("X %s: the app gets an ID token of ours, not the provider's", async (provider: OidcProviderName) => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider, claims: { sub: newSubject(), given_name: "Ida" } });
    expect(result.tokens?.id_token).toBeTruthy();
    const claims = decodeJwt(result.tokens!.id_token!);
    expect(claims.iss).toBe(`${eu.origin}/t/${tenant.name}`);
    expect(claims.aud).toBe("printid-mobile");
  });
});
