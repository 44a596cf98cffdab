// Rule H in the console: a body over the limit and a sign-in over the rate limit are refused like every
// other console refusal, as a page with the API's status and headers, never the API's JSON.
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/app";
import { eu } from "../support/regions";
import { createTenant } from "../support/tenants";
import { Browser, consoleOf, csrfOf, expectSecurityHeaders, signedInBrowser } from "./support";

describe("H: console refusals before any page handler runs", () => {
  it("H a form over the body limit is a 413 page, and nothing is changed", async () => {
    const { name } = await createTenant(eu);
    const browser = await signedInBrowser(name);
    const page = await browser.get(`${consoleOf(name)}/settings`);
    const before = await (await eu.fetch(`/t/${name}`)).json();
    const response = await browser.post(`${consoleOf(name)}/settings`, {
      csrf: csrfOf(await page.text()),
      allowRegistration: "on",
      padding: "x".repeat(MAX_BODY_BYTES),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expectSecurityHeaders(response);
    expect(await response.text()).toContain("Request bodies are limited to 65536 bytes.");
    expect(await (await eu.fetch(`/t/${name}`)).json()).toEqual(before);
  });

  it("H past 60 sign-ins a minute from one address, a 429 page with Retry-After", async () => {
    const { name } = await createTenant(eu);
    const browser = new Browser();
    const csrf = csrfOf(await (await browser.get(`${consoleOf(name)}/sign-in`)).text());
    const ip = { "CF-Connecting-IP": `198.51.100.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 4)}` };
    // The limiter counts in fixed 60 s windows: a burst straddling two may pass 60 once, never 120.
    let last: Response | undefined;
    for (let i = 0; i < 121 && last?.status !== 429; i++) {
      last = await browser.post(`${consoleOf(name)}/sign-in`, { csrf, login: `nobody-${i}`, password: "not a password" }, ip);
    }
    expect(last!.status).toBe(429);
    expect(last!.headers.get("Retry-After")).toBe("60");
    expect(last!.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await last!.text()).toContain("Too many requests from your network: try again in 60 seconds.");
  });
});
