// The pages the links of printid's messages open (issue 14, "works through the hosted pages too"): a link
// opens a page, and only its form spends the token (a mail scanner following links spends nothing).
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { create } from "../admin/support";
import { adminFixture } from "../support/admin";
import { freshAddress, linkOf, nthMailTo, requireEmailConfirmation } from "../support/mail";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { PASSWORD, registration, signIn, tenantWithUser } from "../support/users";
import { authorization, browserAt, hiddenOf } from "./flow";

const NEW_PASSWORD = "a brand new passphrase";

/** Opens a message's link in a browser and posts the page's form with `fields`. */
async function followLink(mail: Parameters<typeof linkOf>[0], fields: Record<string, string> = {}) {
  const { path, token } = linkOf(mail);
  const browser = browserAt();
  const page = await browser.get(`${path}?token=${encodeURIComponent(token)}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const answer = await browser.post(path, { csrf: hiddenOf(html, "csrf"), token: hiddenOf(html, "token"), ...fields });
  return { browser, path, token, answer };
}

describe("the pages of the messages' links", () => {
  it("E a confirmation link opens a page; its button confirms the address, and the account then signs in", async () => {
    const tenant = await openTenant(eu);
    await requireEmailConfirmation(eu, tenant.id);
    const email = freshAddress("confirm");
    expect((await registration(eu, tenant.name, { email, password: PASSWORD })).status).toBe(202);
    expect((await signIn(eu, tenant.name, { login: email, password: PASSWORD })).status).toBe(403);
    const mail = await nthMailTo(email);
    // Opening the link alone (as a mail scanner does) proves nothing.
    const { path, token } = linkOf(mail);
    await browserAt().get(`${path}?token=${token}`);
    expect((await signIn(eu, tenant.name, { login: email, password: PASSWORD })).status).toBe(403);
    const { answer } = await followLink(mail);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('role="status"');
    expect((await signIn(eu, tenant.name, { login: email, password: PASSWORD })).status).toBe(200);
  });

  it("L S Forgot your password? on the sign-in page mails a link whose page sets a new password; the old one no longer works", async () => {
    const { name, user } = await tenantWithUser(eu);
    await drizzle(eu.db).update(users).set({ emailVerified: true }).where(eq(users.id, user.id));
    const request = await authorization();
    const browser = browserAt();
    const signInPage = await (await browser.get(`/t/${name}/authorize?${request.query}`)).text();
    const forgotHref = /href="([^"]*\/account\/password\/forgot[^"]*)"/.exec(signInPage)![1]!.replace(/&amp;/g, "&");
    const forgot = await (await browser.get(forgotHref)).text();
    const sent = await browser.post(`/t/${name}/account/password/forgot`, {
      csrf: hiddenOf(forgot, "csrf"),
      authorization: hiddenOf(forgot, "authorization"),
      login: user.username,
    });
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain(`/t/${name}/authorize?`);
    const { answer } = await followLink(await nthMailTo(user.email), { password: NEW_PASSWORD });
    expect(answer.status).toBe(200);
    expect((await signIn(eu, name, { login: user.username, password: PASSWORD })).status).toBe(401);
    expect((await signIn(eu, name, { login: user.username, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("R E an invitation's page sets the password; the link is then spent, and its page says so (400)", async () => {
    const f = await adminFixture();
    const email = freshAddress("invited");
    await create(f, { username: `inv-${crypto.randomUUID().slice(0, 6)}`, email, invite: true });
    const mail = await nthMailTo(email);
    const { answer } = await followLink(mail, { password: NEW_PASSWORD });
    expect(answer.status).toBe(200);
    expect((await signIn(eu, f.tenant, { login: email, password: NEW_PASSWORD })).status).toBe(200);
    const { answer: again } = await followLink(mail, { password: "yet another passphrase" });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('role="alert"');
  });

  it("L a new password the policy refuses is the page again, naming the field", async () => {
    const { name, user } = await tenantWithUser(eu);
    await drizzle(eu.db).update(users).set({ emailVerified: true }).where(eq(users.id, user.id));
    const browser = browserAt();
    const forgot = await (await browser.get(`/t/${name}/account/password/forgot`)).text();
    await browser.post(`/t/${name}/account/password/forgot`, { csrf: hiddenOf(forgot, "csrf"), authorization: "", login: user.email });
    const { answer } = await followLink(await nthMailTo(user.email), { password: "short" });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('aria-invalid="true"');
  });

  it("S a form of these pages without its CSRF token is refused (403) and spends nothing", async () => {
    const tenant = await openTenant(eu);
    await requireEmailConfirmation(eu, tenant.id);
    const email = freshAddress("csrf");
    await registration(eu, tenant.name, { email, password: PASSWORD });
    const { path, token } = linkOf(await nthMailTo(email));
    const refused = await browserAt().post(path, { token });
    expect(refused.status).toBe(403);
    expect((await signIn(eu, tenant.name, { login: email, password: PASSWORD })).status).toBe(403);
  });
});
