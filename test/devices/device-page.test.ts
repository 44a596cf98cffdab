// The page at a device's verification_uri (RFC 8628 §3.3), /t/{tenant}/device: a person whose browser is
// signed in to the tenant on the hosted page names the code (or opens the QR's link), sees which device
// asks, and approves or denies it by a CSRF-checked form. Holes closed: a device approved by a forged
// form, a guessed code that names a device, a page that approves for nobody.
import { describe, expect, it } from "vitest";
import { adminFixture } from "../support/admin";
import { eu } from "../support/regions";
import { expectOAuthError } from "../support/tokens";
import { PASSWORD, seedUser } from "../support/users";
import { authorization, browserAt, hiddenOf, signInOnPage } from "../hosted/flow";
import { authorizeDevice, lastPolledAgo, poll, registerDevice } from "./support";

/** A device waiting with its codes, and a browser signed in to its tenant on the hosted page. */
async function waitingDevice() {
  const f = await adminFixture();
  const person = await seedUser(eu, f.tenantId, { username: "person", email: "person@example.com" });
  const browser = browserAt();
  await signInOnPage(browser, f.tenant, await authorization(), person.username, PASSWORD);
  const device = await registerDevice(f);
  const codes = await authorizeDevice(f, device);
  return { f, browser, device, codes };
}

describe("the verification page (RFC 8628 §3.3)", () => {
  it("P §3.3 the QR's link names the device and asks the signed-in person; approving signs the device in", async () => {
    const { f, browser, device, codes } = await waitingDevice();
    const page = await browser.get(new URL(codes.verification_uri_complete).pathname + new URL(codes.verification_uri_complete).search);
    expect(page.status).toBe(200);
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain("Lobby printer");
    expect(html).not.toContain("<script");
    const decided = await browser.post(`/t/${f.tenant}/device`, {
      csrf: hiddenOf(html, "csrf"),
      authorization: hiddenOf(html, "authorization"),
      decision: "approve",
    });
    expect(decided.status, await decided.clone().text()).toBe(200);
    expect(await decided.text()).toContain("is signed in");
    await lastPolledAgo(f.region, codes.device_code, 6);
    expect((await poll(f, device, codes.device_code)).status).toBe(200);
  });

  it("P §3.3 denying on the page: the device is told access_denied", async () => {
    const { f, browser, device, codes } = await waitingDevice();
    const html = await (await browser.get(`/t/${f.tenant}/device?user_code=${codes.user_code}`)).text();
    await browser.post(`/t/${f.tenant}/device`, { csrf: hiddenOf(html, "csrf"), authorization: hiddenOf(html, "authorization"), decision: "deny" });
    await lastPolledAgo(f.region, codes.device_code, 6);
    await expectOAuthError(await poll(f, device, codes.device_code), 400, "access_denied");
  });

  it("S a decision without the page's CSRF token, or from another origin, decides nothing", async () => {
    const { f, browser, device, codes } = await waitingDevice();
    const html = await (await browser.get(`/t/${f.tenant}/device?user_code=${codes.user_code}`)).text();
    const fields = { authorization: hiddenOf(html, "authorization"), decision: "approve" };
    expect((await browser.post(`/t/${f.tenant}/device`, fields)).status).not.toBe(200);
    expect((await browser.post(`/t/${f.tenant}/device`, { ...fields, csrf: hiddenOf(html, "csrf") }, { Origin: "https://evil.example" })).status).toBe(403);
    await expectOAuthError(await poll(f, device, codes.device_code), 400, "authorization_pending");
  });

  it("P §3.3 without a browser session the page asks to sign in first, and names no device", async () => {
    const { f, codes } = await waitingDevice();
    const html = await (await browserAt().get(`/t/${f.tenant}/device?user_code=${codes.user_code}`)).text();
    expect(html).toContain("Sign in to this service in this browser first");
    expect(html).not.toContain("Lobby printer");
  });

  it("H §5.1 an unknown code is answered like an expired one, with the form to type it again", async () => {
    const { f, browser } = await waitingDevice();
    const page = await browser.get(`/t/${f.tenant}/device?user_code=BBBB-BBBB`);
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain("not valid or has expired");
    expect(html).toContain('name="user_code"');
  });
});
