// The authorization endpoint and the hosted sign-in (issue 13 points 1 and 3), inside workerd: OIDC Core
// §3.1.2 as a browser and a client meet it.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { APP_REDIRECT_URI } from "../support/tokens";
import { PASSWORD, tenantWithUser } from "../support/users";
import { answerOf, authorization, browserAt, signInOnPage, tokensOf } from "./flow";

describe("the hosted sign-in with MyQ credentials", () => {
  it("L OIDC Core §3.1.2: a password on the hosted page answers the client with a code; its ID token carries nonce and auth_time", async () => {
    const { name, user } = await tenantWithUser(eu);
    const request = await authorization();
    const browser = browserAt();
    const before = Math.floor(Date.now() / 1000);
    const tokens = await tokensOf(eu, name, request, await signInOnPage(browser, name, request, user.username, PASSWORD));
    const claims = decodeJwt(tokens.id_token);
    expect(claims.sub).toBe(user.id);
    expect(claims.nonce).toBe(request.nonce);
    expect(claims.auth_time).toBeGreaterThanOrEqual(before - 1);
  });

  it("P OIDC Core §3.1.2.1 a second client request with the browser's session gets a code at once, with the first auth_time", async () => {
    const { name, user } = await tenantWithUser(eu);
    const browser = browserAt();
    const first = await authorization();
    const firstTokens = await tokensOf(eu, name, first, await signInOnPage(browser, name, first, user.email, PASSWORD));
    const second = await authorization();
    const again = await browser.get(`/t/${name}/authorize?${second.query}`);
    const secondTokens = await tokensOf(eu, name, second, again);
    expect(decodeJwt(secondTokens.id_token).auth_time).toBe(decodeJwt(firstTokens.id_token).auth_time);
  });

  it("S OIDC Core §3.1.2.6 prompt=none without a session is login_required at the redirect URI, with state and iss (RFC 9207)", async () => {
    const { name } = await tenantWithUser(eu);
    const request = await authorization({ prompt: "none" });
    const answer = answerOf(await browserAt().get(`/t/${name}/authorize?${request.query}`));
    expect(answer.get("error")).toBe("login_required");
    expect(answer.get("state")).toBe(request.state);
    expect(answer.get("iss")).toBe(`${eu.origin}/t/${name}`);
  });

  it("S RFC 6749 §4.1.2.1 an unknown client or a redirect URI not registered is a page, never a redirect", async () => {
    const { name } = await tenantWithUser(eu);
    for (const extra of [{ client_id: "nobody" }, { redirect_uri: `${APP_REDIRECT_URI}/other` }] as Record<string, string>[]) {
      const request = await authorization(extra);
      const response = await browserAt().get(`/t/${name}/authorize?${request.query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("Location")).toBeNull();
      expect(response.headers.get("Content-Type")).toContain("text/html");
    }
  });
});
