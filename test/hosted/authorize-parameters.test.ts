// Every parameter of the authorization request, and every refusal (OIDC Core §3.1.2.1 and §3.1.2.6,
// RFC 6749 §4.1.2.1, RFC 7636, RFC 9207): a page while the client or its redirect URI is not trusted, a
// redirect with error, state and iss after.
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { APP_REDIRECT_URI } from "../support/tokens";
import { answerOf, authorization, browserAt, hiddenOf } from "./flow";

async function requestOn(extra: Record<string, string>, init?: { method: "POST" }) {
  const tenant = await openTenant(eu);
  const request = await authorization(extra);
  const path = `/t/${tenant.name}/authorize`;
  const response =
    init?.method === "POST"
      ? await browserAt().fetch(path, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: request.query })
      : await browserAt().get(`${path}?${request.query}`);
  return { tenant, request, response };
}

describe("refusals before the client is trusted: a page, never a redirect (RFC 6749 §4.1.2.1)", () => {
  it.each<[string, Record<string, string>]>([
    ["no client_id", { client_id: "" }],
    ["an unknown client_id", { client_id: "no-such-client" }],
    ["no redirect_uri", { redirect_uri: "" }],
    ["a redirect_uri not registered", { redirect_uri: "com.printid.app:/other" }],
    ["a redirect_uri that only starts like a registered one", { redirect_uri: `${APP_REDIRECT_URI}x` }],
  ])("S %s is a 400 page with no Location", async (_case, extra) => {
    const { response } = await requestOn(extra);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    const html = await response.text();
    expect(html).toContain("<html");
    expect(html).not.toContain("<script");
  });

  it("S a client_id given twice is a page too (RFC 6749 §3.1: parameters must not repeat)", async () => {
    const tenant = await openTenant(eu);
    const request = await authorization();
    const response = await browserAt().get(`/t/${tenant.name}/authorize?${request.query}&client_id=printid-mobile`);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });
});

describe("refusals after: at the redirect URI with error, error_description, state and iss (RFC 9207)", () => {
  it.each<[string, Record<string, string>, string]>([
    ["no response_type", { response_type: "" }, "invalid_request"],
    ["response_type=token", { response_type: "token" }, "unsupported_response_type"],
    ["response_type=code id_token", { response_type: "code id_token" }, "unsupported_response_type"],
    ["a scope without openid", { scope: "profile" }, "invalid_scope"],
    ["an unknown scope", { scope: "openid admin" }, "invalid_scope"],
    ["no PKCE challenge from a public client (RFC 7636 §4.4.1)", { code_challenge: "", code_challenge_method: "" }, "invalid_request"],
    ["code_challenge_method=plain", { code_challenge_method: "plain" }, "invalid_request"],
    ["a malformed code_challenge", { code_challenge: "short" }, "invalid_request"],
    ["a request object (§6.1)", { request: "eyJhbGciOiJub25lIn0.e30." }, "request_not_supported"],
    ["a request_uri (§6.2)", { request_uri: "https://rp.example/request.jwt" }, "request_uri_not_supported"],
    ["an unknown prompt value", { prompt: "sometimes" }, "invalid_request"],
    ["prompt=none with another value", { prompt: "none login" }, "invalid_request"],
    ["a max_age that is not a number of seconds", { max_age: "-1" }, "invalid_request"],
    ["response_mode=fragment", { response_mode: "fragment" }, "invalid_request"],
    ["an id_token_hint that is not one of this issuer's", { id_token_hint: "not.a.token" }, "invalid_request"],
  ])("S %s is %s", async (_case, extra, error) => {
    const { tenant, request, response } = await requestOn(extra);
    const answer = answerOf(response);
    expect(answer.get("error")).toBe(error);
    expect(answer.get("error_description")).toBeTruthy();
    expect(answer.get("state")).toBe(request.state);
    expect(answer.get("iss")).toBe(`${eu.origin}/t/${tenant.name}`);
    expect(answer.get("code")).toBeNull();
  });

  it("S without a state the refusal carries none (OIDC Core §3.1.2.6: state only if the request had one)", async () => {
    const { response } = await requestOn({ state: "", prompt: "none" });
    const answer = answerOf(response);
    expect(answer.get("error")).toBe("login_required");
    expect(answer.has("state")).toBe(false);
  });
});

describe("what the request asks of the page", () => {
  it("OIDC Core §3.1.2.1 POST with the request's parameters as a form is answered as the GET is", async () => {
    const { response } = await requestOn({}, { method: "POST" });
    expect(response.status).toBe(200);
    expect(hiddenOf(await response.text(), "authorization")).toContain("client_id=printid-mobile");
  });

  it("OIDC Core §3.1.2.1 login_hint fills the login field", async () => {
    const { response } = await requestOn({ login_hint: "ada@example.com" });
    expect(await response.text()).toMatch(/name="login"[^>]*value="ada@example.com"|value="ada@example.com"[^>]*name="login"/);
  });

  it("OIDC Core §3.1.2.1 ui_locales picks French, then the browser's Accept-Language does", async () => {
    const { response } = await requestOn({ ui_locales: "fr-CA en" });
    expect(await response.text()).toContain('<html lang="fr"');
    const tenant = await openTenant(eu);
    const request = await authorization();
    const byHeader = await browserAt().get(`/t/${tenant.name}/authorize?${request.query}`, { "Accept-Language": "fr;q=0.9, en;q=0.5" });
    expect(await byHeader.text()).toContain('<html lang="fr"');
  });

  it("OIDC Core §3.1.2.1 acr_values, display and claims_locales are accepted (one level, one display)", async () => {
    const { response } = await requestOn({ acr_values: "urn:printid:acr:pwd", display: "touch", claims_locales: "fr" });
    expect(response.status).toBe(200);
  });

  it("S the page is never cached or framed, runs no script but the passkey script (fetching only its options), and its forms may end only here or at the client (CSP)", async () => {
    const { tenant, response } = await requestOn({});
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const csp = response.headers.get("Content-Security-Policy")!;
    const base = `${eu.origin}/t/${tenant.name}/authorize`;
    expect(csp).toBe(
      `default-src 'none'; script-src ${base}/passkey.js; connect-src ${base}/passkey/options; style-src 'unsafe-inline'; img-src 'self' data:; ` +
        "form-action 'self' com.printid.app:; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
  });

  it("R the PERSONAL ACCOUNT tab and Create an account are offered only where the tenant allows registration", async () => {
    const closed = await openTenant(eu, { allowRegistration: false });
    const request = await authorization();
    const html = await (await browserAt().get(`/t/${closed.name}/authorize?${request.query}`)).text();
    expect(html).not.toContain("printid_account=personal");
    expect(html).not.toContain("/authorize/register");
    const open = await requestOn({});
    const openHtml = await open.response.text();
    expect(openHtml).toContain("printid_account=personal");
    expect(openHtml).toContain("/authorize/register");
  });
});

describe("what the OpenID Foundation's Basic OP plan asks of a code flow", () => {
  it("OIDC Core §3.1.2.1 (oidcc-ensure-request-without-nonce-succeeds-for-code-flow) no nonce is fine in a code flow", async () => {
    const { response } = await requestOn({ nonce: "" });
    expect(response.status).toBe(200);
  });

  it("OIDC Core §3.1.2.1 (oidcc-ensure-request-with-unknown-parameter-succeeds, oidcc-claims-essential) unknown parameters and `claims` are ignored", async () => {
    const { response } = await requestOn({ extra: "foobar", claims: JSON.stringify({ userinfo: { email: { essential: true } } }) });
    expect(response.status).toBe(200);
  });

  it("OIDC Core §3.1.2.1 (oidcc-ensure-other-scope-order-succeeds) the scope's values may come in any order", async () => {
    const { response } = await requestOn({ scope: "email profile openid" });
    expect(response.status).toBe(200);
  });

  it("OIDC Core §5.4 (oidcc-scope-address, oidcc-scope-phone) scopes this provider does not support are invalid_scope", async () => {
    for (const scope of ["openid address", "openid phone"]) {
      const { response } = await requestOn({ scope });
      expect(answerOf(response).get("error")).toBe("invalid_scope");
    }
  });
});
