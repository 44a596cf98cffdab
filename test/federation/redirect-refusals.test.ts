// What the browser redirect flow of "Sign in with Apple, Google or Microsoft" refuses (rules S and T), at
// each step: the app's authorization request (PKCE S256, its exact redirect URI, a provider the tenant
// offers), the callback's state (tampered, replayed, expired, another provider's), the provider's ID token
// (signature, iss, aud, exp, nonce), a provider that fails, and the app's code (its verifier, single use,
// its tenant, region, client and redirect URI). The flow itself: redirect-flow.
import { describe, expect, it, vi } from "vitest";
import {
  appRedirect,
  authorizePath,
  callback,
  followProvider,
  identitiesOf,
  newSubject,
  oidc,
  type OidcProviderName,
  redeem,
  signInWith,
  startAuthorize,
  usersOf,
} from "../support/oidc";
import { eu, us } from "../support/regions";
import { openTenant } from "../support/tenants";
import { APP_REDIRECT_URI, pkce } from "../support/tokens";

describe("the app's authorization request", () => {
  const valid = { provider: "google", account: "work" } as const;

  it.each([
    ["a prefix of it", "com.printid.app:/oauth/call"],
    ["another case", "com.printid.app:/OAuth/callback"],
    ["an extra path", "com.printid.app:/oauth/callback/more"],
    ["an extra query", "com.printid.app:/oauth/callback?x=1"],
    ["a trailing slash", "com.printid.app:/oauth/callback/"],
    ["another scheme", "https://evil.example/oauth/callback"],
  ])("S a redirect URI that is %s of the registered one is 400, and nothing redirects", async (_, redirectUri) => {
    const tenant = await openTenant(eu);
    const { challenge } = await pkce();
    const path = authorizePath(tenant.name, { ...valid, redirectUri, state: "s", codeChallenge: challenge });
    const response = await eu.fetch(path, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    expect(((await response.json()) as { code: string }).code).toBe("validation_failed");
  });

  it.each([
    ["an unregistered client", { client_id: "someone-else" }],
    ["PKCE plain", { code_challenge_method: "plain" }],
    ["no PKCE challenge", { code_challenge: "" }],
    ["no state", { state: "" }],
    ["an unknown kind of account", { account: "school" }],
  ])("S %s is 400, no redirect", async (_, change) => {
    const tenant = await openTenant(eu);
    const { challenge } = await pkce();
    const params: Record<string, string> = {
      account: valid.account,
      client_id: "printid-mobile",
      redirect_uri: APP_REDIRECT_URI,
      state: "s",
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...change,
    };
    const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== ""));
    const response = await eu.fetch(`/t/${tenant.name}/oauth/google/authorize?${query}`, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });

  it("S a provider the tenant does not offer for that kind of account is 400", async () => {
    const tenant = await openTenant(eu, { providers: { work: ["microsoft"], personal: ["apple", "google"] } });
    const { challenge } = await pkce();
    const response = await eu.fetch(authorizePath(tenant.name, { ...valid, state: "s", codeChallenge: challenge }), { redirect: "manual" });
    expect(response.status).toBe(400);
    await startAuthorize(eu, tenant.name, { provider: "google", account: "personal" });
  });

  it("T an unknown tenant is 404", async () => {
    const { challenge } = await pkce();
    const response = await eu.fetch(
      `/t/no-such-tenant-x1/oauth/google/authorize?account=work&client_id=printid-mobile&redirect_uri=${encodeURIComponent(APP_REDIRECT_URI)}&state=s&code_challenge=${challenge}&code_challenge_method=S256`,
      { redirect: "manual" },
    );
    expect(response.status).toBe(404);
  });
});

describe("the callback's state", () => {
  async function providerAnswer(provider: OidcProviderName = "google") {
    const tenant = await openTenant(eu);
    const started = await startAuthorize(eu, tenant.name, { provider, account: "work" });
    return { tenant, started, answer: await followProvider(started.location) };
  }

  async function expectNoRedirect(response: Response) {
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    expect(((await response.json()) as { code: string }).code).toBe("validation_failed");
  }

  it("S a tampered state is 400 and redirects nowhere; the real one still works after", async () => {
    const { tenant, answer } = await providerAnswer();
    await expectNoRedirect(await callback(eu, "google", { code: answer.code, state: `${answer.state}x` }));
    await expectNoRedirect(await callback(eu, "google", { code: answer.code, state: "" }));
    expect((await appRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }))).code).toBeTruthy();
    expect(await usersOf(eu, tenant.id)).toHaveLength(2);
  });

  it("S a replayed state is 400: a flow ends once", async () => {
    const { answer } = await providerAnswer();
    expect((await appRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }))).code).toBeTruthy();
    await expectNoRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }));
  });

  it("S an expired state is 400", async () => {
    const { tenant, answer } = await providerAnswer();
    await eu.db.prepare("UPDATE oauth_flows SET expires_at = ? WHERE tenant_id = ?").bind(Date.now() - 1000, tenant.id).run();
    await expectNoRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }));
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
  });

  it("S a state is only good at the callback of its own provider", async () => {
    const { answer } = await providerAnswer("google");
    await expectNoRedirect(await callback(eu, "microsoft", { code: answer.code, state: answer.state }));
    expect((await appRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }))).code).toBeTruthy();
  });

  it("S the provider's error (access_denied) goes back to the app as an error with its state, and ends the flow", async () => {
    const { tenant, started, answer } = await providerAnswer();
    const redirect = await appRedirect(await callback(eu, "google", { state: answer.state, error: "access_denied" }));
    expect(redirect.url.href.startsWith(`${APP_REDIRECT_URI}?`)).toBe(true);
    expect(redirect).toMatchObject({ error: "provider_error", state: started.appState, code: null });
    expect(redirect.errorDescription).toBeTruthy();
    await expectNoRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }));
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
  });

  it("S the provider's error is named only when it is an error code: other text in it reaches neither the app nor the log", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    const spies = [vi.spyOn(console, "error").mockImplementation(capture), vi.spyOn(console, "log").mockImplementation(capture)];
    try {
      const { answer } = await providerAnswer();
      const redirect = await appRedirect(await callback(eu, "google", { state: answer.state, error: "mail jane+tag@example.com" }));
      expect(redirect).toMatchObject({ error: "provider_error" });
      expect(redirect.errorDescription).toBe("The provider refused the sign-in.");
      expect(lines.join("\n")).not.toContain("example.com");
      expect(lines.some((line) => line.includes("provider_error"))).toBe(true);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe("the provider's ID token", () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ["another audience", { aud: "someone-elses-client" }],
    ["another issuer", { iss: "https://accounts.evil.example" }],
    ["an expired one", { iat: now() - 7200, exp: now() - 3600 }],
    ["another nonce", { nonce: "not-the-one-we-sent" }],
    ["no nonce", { nonce: null }],
  ])("S %s is provider_error: back to the app with the error, nothing created", async (_, claims) => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "google", claims: { sub: newSubject(), given_name: "Eve", ...claims } });
    expect(result.redirect).toMatchObject({ error: "provider_error", code: null, state: result.started.appState });
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
    expect(await identitiesOf(eu, tenant.id)).toHaveLength(0);
  });

  it.each([
    ["signed by a key outside the provider's JWKS", { foreignKey: true }],
    ["signed under a kid the JWKS does not have", { kid: "unknown-kid" }],
  ])("S a token %s is provider_error, nothing created", async (_, signing) => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "microsoft", claims: { given_name: "Eve" }, signing });
    expect(result.redirect).toMatchObject({ error: "provider_error", code: null });
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
  });

  it("S an Apple token for the native app's audience is refused in the browser flow", async () => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "apple", claims: { sub: newSubject(), aud: oidc.apple.nativeClientIds[0] } });
    expect(result.redirect.error).toBe("provider_error");
  });
});

describe("the provider failing", () => {
  it.each([
    ["unreachable (connection closed)", "token-endpoint-down"],
    ["answering 500", "token-endpoint-500"],
    ["refusing the code (invalid_grant)", "invalid-grant"],
    ["answering without an ID token", "no-id-token"],
  ] as const)("S a token endpoint %s is provider_error back to the app; nothing created", async (_, fail) => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "google", claims: { sub: newSubject(), given_name: "Una" }, fail });
    expect(result.redirect).toMatchObject({ error: "provider_error", code: null, state: result.started.appState });
    expect(await usersOf(eu, tenant.id)).toHaveLength(1);
  });

  it("S a provider code that was already redeemed is refused by the provider: provider_error", async () => {
    const tenant = await openTenant(eu);
    // Two flows; the second callback carries the first one's (spent) provider code.
    const first = await startAuthorize(eu, tenant.name, { provider: "google", account: "work" });
    const firstAnswer = await followProvider(first.location);
    expect((await appRedirect(await callback(eu, "google", { code: firstAnswer.code, state: firstAnswer.state }))).code).toBeTruthy();
    const second = await startAuthorize(eu, tenant.name, { provider: "google", account: "work" });
    const secondAnswer = await followProvider(second.location);
    const redirect = await appRedirect(await callback(eu, "google", { code: firstAnswer.code, state: secondAnswer.state }));
    expect(redirect.error).toBe("provider_error");
  });
});

describe("the app's code", () => {
  async function signedInCode() {
    const tenant = await openTenant(eu);
    const started = await startAuthorize(eu, tenant.name, { provider: "google", account: "work" });
    const answer = await followProvider(started.location);
    const redirect = await appRedirect(await callback(eu, "google", { code: answer.code, state: answer.state }));
    return { tenant, verifier: started.verifier, code: redirect.code! };
  }

  it("S a wrong PKCE verifier is invalid_grant, and spends the code", async () => {
    const { tenant, code, verifier } = await signedInCode();
    const wrong = await redeem(eu, tenant.name, code, (await pkce()).verifier);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe("invalid_grant");
    expect((await redeem(eu, tenant.name, code, verifier)).status).toBe(400);
  });

  it("S a code is single-use: its reuse is invalid_grant and ends the session it opened", async () => {
    const { tenant, code, verifier } = await signedInCode();
    const first = await redeem(eu, tenant.name, code, verifier);
    expect(first.status).toBe(200);
    const { access_token } = (await first.json()) as { access_token: string };
    const reuse = await redeem(eu, tenant.name, code, verifier);
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe("invalid_grant");
    const me = await eu.fetch(`/t/${tenant.name}/me`, { headers: { Authorization: `Bearer ${access_token}` } });
    expect(me.status).toBe(401);
  });

  it("T a code of one tenant is invalid_grant in another, and in the other region", async () => {
    const { code, verifier } = await signedInCode();
    const other = await openTenant(eu);
    expect((await redeem(eu, other.name, code, verifier)).status).toBe(400);
    const { code: code2, verifier: verifier2, tenant } = await signedInCode();
    const usTenant = await openTenant(us);
    expect((await redeem(us, usTenant.name, code2, verifier2)).status).toBe(400);
    expect((await redeem(eu, tenant.name, code2, verifier2)).status).toBe(200);
  });

  it("S a code redeemed with another redirect URI or by an unknown client is refused", async () => {
    const { tenant, code, verifier } = await signedInCode();
    const otherUri = await redeem(eu, tenant.name, code, verifier, { redirect_uri: "com.printid.app:/oauth/other" });
    expect(otherUri.status).toBe(400);
    const { tenant: tenant2, code: code2, verifier: verifier2 } = await signedInCode();
    const otherClient = await redeem(eu, tenant2.name, code2, verifier2, { client_id: "another-app" });
    expect(otherClient.status).toBe(401);
    expect(((await otherClient.json()) as { error: string }).error).toBe("invalid_client");
  });
});
