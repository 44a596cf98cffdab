// The UserInfo endpoint, GET and POST /t/{tenant}/userinfo (OpenID Connect Core §5.3; rules P, S, E, T):
// the bearer access token in the Authorization header, or on POST as a form's access_token (RFC 6750
// §2.2), never in the query; rule P checked as for /me; `sub` and the claims of the token's scopes, the
// same as the ID token's; errors as RFC 6750 §3 says. Holes closed: a token read from a URL, a token
// sent twice, a revoked session or a deactivated user still answered, another tenant's token, an
// unproven address asserted, claims the token's scopes did not grant.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { problemOf } from "../support/problems";
import { eu, us } from "../support/regions";
import { revoke } from "../support/tokens";
import { bearer, signIn, tenantWithUser, type TokenResponse } from "../support/users";

/** A new user signed in with `scope`: the tenant, the user and the tokens. */
async function signedInWith(scope: string, region = eu) {
  const fixture = await tenantWithUser(region);
  const response = await signIn(region, fixture.name, { login: fixture.user.username, password: fixture.user.password, scope });
  expect(response.status).toBe(200);
  return { ...fixture, tokens: (await response.json()) as TokenResponse };
}

const userinfoPath = (tenant: string) => `/t/${tenant}/userinfo`;

function getUserinfo(tenant: string, headers: Record<string, string> = {}, region = eu) {
  return region.fetch(userinfoPath(tenant), { headers });
}

/** POST with a form body: its fields, or the form as written (a field may repeat). */
function postUserinfo(tenant: string, body: Record<string, string> | string, headers: Record<string, string> = {}) {
  return eu.fetch(userinfoPath(tenant), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(body),
  });
}

async function claimsOf(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  return (await response.json()) as Record<string, unknown>;
}

/** RFC 6750 §3: 401 with a Bearer challenge carrying this error code, or none for a request without a token. */
async function expectChallenge(response: Response, error: string | undefined) {
  const challenge = response.headers.get("WWW-Authenticate") ?? "";
  expect(challenge).toMatch(/^Bearer realm="printid"/);
  if (error) expect(challenge).toContain(`error="${error}"`);
  else expect(challenge).not.toContain("error=");
  await problemOf(response, 401, "unauthorized");
}

describe("claims (OpenID Connect Core §5.3.2, §5.4)", () => {
  it("S OIDC Core §5.3.1 GET with the bearer token answers sub and the claims of its scopes, the ID token's own, never cached", async () => {
    const { name, user, tokens } = await signedInWith("openid profile email");
    const claims = await claimsOf(await getUserinfo(name, bearer(tokens.access_token)));
    expect(claims).toEqual({
      sub: user.id,
      preferred_username: user.username,
      name: "Test User",
      given_name: "Test",
      family_name: "User",
      email_verified: false,
    });
    const idToken = decodeJwt(tokens.id_token!);
    for (const [claim, value] of Object.entries(claims)) expect(idToken[claim]).toEqual(value);
  });

  it.each([
    ["openid", []],
    ["openid profile", ["preferred_username", "name", "given_name", "family_name"]],
    ["openid email", ["email_verified"]],
  ])("S OIDC Core §5.4 scope %s answers sub and only the claims it grants", async (scope, expected) => {
    const { name, tokens } = await signedInWith(scope);
    expect(Object.keys(await claimsOf(await getUserinfo(name, bearer(tokens.access_token)))).sort()).toEqual(["sub", ...expected].sort());
  });

  it("E an address is asserted only once proven", async () => {
    const { name, user, tokens } = await signedInWith("openid email");
    expect(await claimsOf(await getUserinfo(name, bearer(tokens.access_token)))).not.toHaveProperty("email");
    await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    expect(await claimsOf(await getUserinfo(name, bearer(tokens.access_token)))).toMatchObject({ email: user.email, email_verified: true });
  });

  it("S RFC 9068 §2.2.3 the access token carries the scope it was granted, which UserInfo answers by", async () => {
    const { tokens } = await signedInWith("openid profile");
    expect(decodeJwt(tokens.access_token).scope).toBe("openid profile");
    expect(tokens.scope).toBe("openid profile");
  });

  it("S OIDC Core §5.3 a token not granted openid is 403 with an insufficient_scope challenge (RFC 6750 §3.1)", async () => {
    const { name, tokens } = await signedInWith("profile");
    const response = await getUserinfo(name, bearer(tokens.access_token));
    expect(response.headers.get("WWW-Authenticate")).toMatch(/error="insufficient_scope", scope="openid"/);
    await problemOf(response, 403, "forbidden");
  });
});

describe("where the token may be (RFC 6750 §2)", () => {
  it("S RFC 6750 §2.1 POST with the token in the Authorization header answers as GET does", async () => {
    const { name, user, tokens } = await signedInWith("openid");
    expect(await claimsOf(await postUserinfo(name, {}, bearer(tokens.access_token)))).toEqual({ sub: user.id });
  });

  it("S RFC 6750 §2.2 POST with the token as a form's access_token", async () => {
    const { name, user, tokens } = await signedInWith("openid");
    expect(await claimsOf(await postUserinfo(name, { access_token: tokens.access_token }))).toEqual({ sub: user.id });
  });

  it("S RFC 6750 §2.3 a token in the query string is not read: 401 with a Bearer challenge and no error code", async () => {
    const { name, tokens } = await signedInWith("openid");
    await expectChallenge(await eu.fetch(`${userinfoPath(name)}?access_token=${tokens.access_token}`), undefined);
  });

  it("S RFC 6750 §2.2 a token in a body that is not a form is not read", async () => {
    const { name, tokens } = await signedInWith("openid");
    const response = await eu.fetch(userinfoPath(name), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ access_token: tokens.access_token }),
    });
    await expectChallenge(response, undefined);
  });

  it.each<[string, (token: string) => [string, Record<string, string>]]>([
    ["in the header and the body", (token) => [`access_token=${token}`, bearer(token)]],
    ["twice in the body", (token) => [`access_token=${token}&access_token=${token}`, {}]],
  ])("S RFC 6750 §3.1 the token sent %s is 400 with an invalid_request challenge", async (_what, placing) => {
    const { name, tokens } = await signedInWith("openid");
    const [body, headers] = placing(tokens.access_token);
    const response = await postUserinfo(name, body, headers);
    expect(response.headers.get("WWW-Authenticate")).toMatch(/error="invalid_request"/);
    await problemOf(response, 400, "validation_failed");
  });

  it("S RFC 6750 §3.1 no token is 401 without an error code; a bad one, 401 invalid_token", async () => {
    const { name, tokens } = await signedInWith("openid");
    await expectChallenge(await getUserinfo(name), undefined);
    await expectChallenge(await getUserinfo(name, bearer(`${tokens.access_token}x`)), "invalid_token");
    await expectChallenge(await postUserinfo(name, { access_token: "not-a-token" }), "invalid_token");
  });
});

describe("rule P and rule T", () => {
  it("P a revoked session's token is 401 invalid_token at the next request", async () => {
    const { name, tokens } = await signedInWith("openid");
    expect((await revoke(eu, name, tokens.refresh_token)).status).toBe(200);
    await expectChallenge(await getUserinfo(name, bearer(tokens.access_token)), "invalid_token");
  });

  it("P a deactivated user is 403 account_inactive, a disabled tenant 403 tenant_disabled", async () => {
    const { name, user, tenantId, tokens } = await signedInWith("openid");
    await eu.db.prepare("UPDATE users SET active = 0 WHERE id = ?").bind(user.id).run();
    await problemOf(await getUserinfo(name, bearer(tokens.access_token)), 403, "account_inactive");
    await eu.db.prepare("UPDATE tenants SET enabled = 0 WHERE id = ?").bind(tenantId).run();
    await problemOf(await getUserinfo(name, bearer(tokens.access_token)), 403, "tenant_disabled");
  });

  it("T a token of another tenant, or of the other region, is 401 invalid_token", async () => {
    const a = await signedInWith("openid");
    const b = await signedInWith("openid");
    await expectChallenge(await getUserinfo(b.name, bearer(a.tokens.access_token)), "invalid_token");
    const inUs = await signedInWith("openid", us);
    const { name: euTenant } = await tenantWithUser();
    await expectChallenge(await getUserinfo(euTenant, bearer(inUs.tokens.access_token)), "invalid_token");
    expect(await claimsOf(await getUserinfo(inUs.name, bearer(inUs.tokens.access_token), us))).toEqual({ sub: inUs.user.id });
  });
});
