// Apple, Google and Microsoft on the hosted page (issue 13 point 2): each button runs the provider flow of
// the native apps, which then resumes the client's authorization request instead of answering an app.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { callback, followProvider, newPerson, setClaims, type OidcProviderName } from "../support/oidc";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { authorization, browserAt, tokensOf } from "./flow";

const everyProvider = { work: ["apple", "google", "microsoft"], personal: ["apple", "google", "microsoft"] };

/** The page's button for `provider` (for `account`), followed to the provider, who answers our callback. */
async function throughProvider(tenant: string, provider: OidcProviderName, account: "work" | "personal", claims: Record<string, unknown>) {
  const browser = browserAt();
  const request = await authorization({ printid_account: account });
  const html = await (await browser.get(`/t/${tenant}/authorize?${request.query}`)).text();
  const button = new RegExp(`href="(/t/${tenant}/authorize/provider/${provider}\\?[^"]+)"`).exec(html)?.[1]?.replace(/&amp;/g, "&");
  expect(button, `a ${provider} button`).toBeTruthy();
  const started = await browser.get(button!);
  expect(started.status).toBe(302);
  const answer = await followProvider(started.headers.get("Location")!);
  await setClaims(provider, answer.code, claims);
  // The browser's own request: the callback gives it the provider's session cookie.
  const back = await browser.get(`/oauth/${provider}/callback?${new URLSearchParams({ code: answer.code, state: answer.state })}`);
  return { browser, request, back, answer };
}

describe("signing in with a provider on the hosted page", () => {
  it.each<OidcProviderName>(["apple", "google", "microsoft"])("X %s: the button signs a new person up (rule R allows) and the client gets a code", async (provider) => {
    const tenant = await openTenant(eu, { providers: everyProvider });
    const { request, back, browser } = await throughProvider(tenant.name, provider, "personal", { ...newPerson(provider, "personal"), given_name: "Ada" });
    const tokens = await tokensOf(eu, tenant.name, request, back);
    expect(decodeJwt(tokens.id_token).sub).toBeTruthy();
    // The browser now has the provider's session: the next client request needs no page.
    const next = await authorization({ prompt: "none" });
    await tokensOf(eu, tenant.name, next, await browser.get(`/t/${tenant.name}/authorize?${next.query}`));
  });

  it("R a provider sign-up where registration is closed is the sign-in page again, saying so, and no code", async () => {
    const tenant = await openTenant(eu, { allowRegistration: false, providers: everyProvider });
    const { back } = await throughProvider(tenant.name, "google", "work", newPerson("google"));
    expect(back.status).toBe(403);
    expect(back.headers.get("Location")).toBeNull();
    const html = await back.text();
    expect(html).toContain('role="alert"');
    expect(back.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
  });

  it("R only the providers the tenant offers for the chosen kind of account have a button", async () => {
    const tenant = await openTenant(eu, { providers: { work: ["microsoft"], personal: ["google"] } });
    const request = await authorization({ printid_account: "work" });
    const html = await (await browserAt().get(`/t/${tenant.name}/authorize?${request.query}`)).text();
    expect(html).toContain("/authorize/provider/microsoft");
    expect(html).not.toContain("/authorize/provider/google");
    expect((await browserAt().get(`/t/${tenant.name}/authorize/provider/google?${request.query}`)).status).toBe(400);
  });

  it("S a hosted flow's state is single-use like any other: its second callback is refused, and answers no client", async () => {
    const tenant = await openTenant(eu, { providers: everyProvider });
    const { request, back, answer } = await throughProvider(tenant.name, "google", "work", newPerson("google"));
    await tokensOf(eu, tenant.name, request, back);
    const replay = await callback(eu, "google", { code: answer.code, state: answer.state });
    expect(replay.status).toBe(400);
    expect(replay.headers.get("Location")).toBeNull();
  });
});
