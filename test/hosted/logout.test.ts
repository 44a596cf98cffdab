// RP-Initiated Logout 1.0 at /t/{tenant}/logout (discovery's end_session_endpoint): the browser's session
// and the ID token's session end; the client gets its person back at a registered address, with state.
import { describe, expect, it } from "vitest";
import { testEnv } from "../support/env";
import { eu } from "../support/regions";
import { refresh } from "../support/tokens";
import { PASSWORD, tenantWithUser } from "../support/users";
import { answerOf, authorization, browserAt, hiddenOf, signInOnPage, tokensOf } from "./flow";

const WEB = { client_id: "printid-web", redirect_uri: "https://web.printid.example/callback" };
const SIGNED_OUT = "https://web.printid.example/signed-out";
const webAuth = () => ({ client_secret: testEnv.TEST_WEB_CLIENT_SECRET });

/** The web client's person signed in on the hosted page: the browser and the client's tokens. */
async function signedInAtWebClient() {
  const { name, user } = await tenantWithUser(eu);
  const browser = browserAt();
  const request = await authorization(WEB);
  const tokens = await tokensOf(eu, name, request, await signInOnPage(browser, name, request, user.username, PASSWORD), webAuth());
  return { name, user, browser, tokens };
}

describe("RP-initiated logout", () => {
  it("S §2 with an id_token_hint and a registered post_logout_redirect_uri: back at the client with state; both sessions have ended", async () => {
    const { name, browser, tokens } = await signedInAtWebClient();
    const query = new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: SIGNED_OUT, state: "bye-1" });
    const answer = answerOf(await browser.get(`/t/${name}/logout?${query}`), SIGNED_OUT);
    expect(answer.get("state")).toBe("bye-1");
    expect(browser.cookie("printid_session")).toBeUndefined();
    // The browser's session is over at the provider, not only in this browser's jar.
    const again = answerOf(await browser.get(`/t/${name}/authorize?${(await authorization({ prompt: "none" })).query}`));
    expect(again.get("error")).toBe("login_required");
    // So is the session the ID token belongs to: its refresh token no longer works.
    expect((await refresh(eu, name, tokens.refresh_token, { client_id: WEB.client_id, ...webAuth() })).status).toBe(400);
  });

  it("S §3 a post_logout_redirect_uri the client did not register is a page, never a redirect; nothing ends", async () => {
    const { name, browser, tokens } = await signedInAtWebClient();
    const query = new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: "https://evil.example/" });
    const response = await browser.get(`/t/${name}/logout?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    expect(browser.cookie("printid_session")).toBeDefined();
  });

  it("S §2 without an id_token_hint the person confirms first; the confirmation (with its CSRF token) signs them out", async () => {
    const { name, browser } = await signedInAtWebClient();
    const page = await browser.get(`/t/${name}/logout`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(browser.cookie("printid_session")).toBeDefined();
    const forged = await browser.post(`/t/${name}/logout/confirm`, { authorization: hiddenOf(html, "authorization") });
    expect(forged.status).toBe(403);
    const confirmed = await browser.post(`/t/${name}/logout/confirm`, { csrf: hiddenOf(html, "csrf"), authorization: hiddenOf(html, "authorization") });
    expect(confirmed.status).toBe(200);
    expect(browser.cookie("printid_session")).toBeUndefined();
  });

  it("S an id_token_hint that is not this issuer's is a page (400)", async () => {
    const { name, browser } = await signedInAtWebClient();
    const response = await browser.get(`/t/${name}/logout?id_token_hint=not.a.token`);
    expect(response.status).toBe(400);
    expect(browser.cookie("printid_session")).toBeDefined();
  });

  it("T an ID token of another tenant is not this tenant's hint (its issuer differs)", async () => {
    const first = await signedInAtWebClient();
    const second = await signedInAtWebClient();
    const response = await second.browser.get(`/t/${second.name}/logout?id_token_hint=${first.tokens.id_token}`);
    expect(response.status).toBe(400);
  });
});
