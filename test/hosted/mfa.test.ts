// The second step on the hosted pages (issue 16 points 1 and 2, rule M), driven through HTTP as a browser
// would: the password on the page, then the second step's page (a wrong code said so, the right one gives
// the client a code whose ID token's amr says what was used); the browser's session keeps that amr;
// "Remember this device" skips the step until the person's factors are reset; a person who must set up a
// factor does it on the page (QR code and key, first code, recovery codes once); a mailed code; steps of
// another client or tenant, wrong codes to the lockout, CSRF. Then the account's "Second factors" page:
// setting up an app, e-mail codes, new recovery codes and removing a factor, each change after a fresh
// second factor asked on the page.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { en } from "../../src/hosted/i18n/en";
import { adminAuth, patchSettings } from "../support/admin";
import { Browser, setCookieOf } from "../support/browser";
import { codeOf, linkOf, nthMailTo } from "../support/mail";
import { followProvider, newPerson, setClaims } from "../support/oidc";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { bearer, PASSWORD, tenantWithUser, tokensFor } from "../support/users";
import { codeStepPassed, enrolTotp, firstStep, totpCode } from "../factors/support";
import { formFieldsOf } from "../console/support";
import { answerOf, authorization, browserAt, hiddenOf, signInOnPage, tokensOf, type Authorization } from "./flow";
import { escaped } from "./support";

/** A tenant with a user who set up an authenticator app through the API. */
async function personWithApp(settings: Record<string, unknown> = {}) {
  const fixture = await tenantWithUser(eu, settings);
  const auth = bearer((await tokensFor(eu, fixture.name, fixture.user.username)).access_token);
  const app = await enrolTotp(eu, fixture.name, auth);
  return { ...fixture, auth, ...app };
}

/** The fields a step page's forms carry back (CSRF token, request, step token, and the way being set up). */
function stepFields(html: string): Record<string, string> {
  const fields: Record<string, string> = { csrf: hiddenOf(html, "csrf"), authorization: hiddenOf(html, "authorization"), mfa_token: hiddenOf(html, "mfa_token") };
  if (html.includes('name="setting_up"')) fields.setting_up = hiddenOf(html, "setting_up");
  return fields;
}

/** Posts one of the step page's forms (`path` under /authorize) with `more` fields. */
function postStep(browser: Browser, tenant: string, html: string, path: string, more: Record<string, string>) {
  return browser.post(`/t/${tenant}/authorize${path}`, { ...stepFields(html), ...more });
}

/** The password on the page, which must answer the second step's page: its HTML. */
async function stepPage(browser: Browser, tenant: string, request: Authorization, login: string): Promise<string> {
  const response = await signInOnPage(browser, tenant, request, login, PASSWORD);
  expect(response.status, await response.clone().text()).toBe(401);
  return response.text();
}

/** The authenticator app's key as the page shows it (in groups of four), without its spaces. */
const keyOn = (html: string) => /<code class="key">([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, "");

describe("the second step of a sign-in on the hosted page", () => {
  it("M a person with an app gets the second step's page, not a code; a wrong code is said; the right one gives a code whose ID token has amr [pwd, otp, mfa]", async () => {
    const { name, user, secret } = await personWithApp();
    const browser = browserAt();
    const request = await authorization();
    const html = await stepPage(browser, name, request, user.username);
    expect(html).toContain(escaped(en.secondStep.title));
    expect(html).toContain(escaped(en.secondStep.app));
    expect(html).toContain('autocomplete="one-time-code"');
    expect(html).toContain(escaped(en.secondStep.useRecovery));
    expect(html).not.toContain(escaped(en.secondStep.sendEmail));
    expect(browser.cookie("printid_session")).toBeUndefined();

    const wrong = await postStep(browser, name, html, "/mfa", { code: "000000" });
    expect(wrong.status).toBe(401);
    const again = await wrong.text();
    expect(again).toContain(escaped(en.refusals.wrong_code));
    expect(again).toContain('role="alert"');

    const right = await postStep(browser, name, again, "/mfa", { code: totpCode(secret, 1) });
    const tokens = await tokensOf(eu, name, request, right);
    expect(decodeJwt(tokens.id_token).amr).toEqual(["pwd", "otp", "mfa"]);
    expect(browser.cookie("printid_session")).toBeDefined();
  });

  it("M S the step's page lets its forms end at the client (CSP form-action), and nothing of it is cached", async () => {
    const { name, user } = await personWithApp();
    const response = await signInOnPage(browserAt(), name, await authorization(), user.username, PASSWORD);
    expect(response.headers.get("Content-Security-Policy")).toContain("form-action 'self' com.printid.app:");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("M the browser's session keeps the step's amr: another request it answers gets a code whose ID token says [pwd, otp, mfa]", async () => {
    const { name, user, secret } = await personWithApp();
    const browser = browserAt();
    const first = await authorization();
    await tokensOf(eu, name, first, await postStep(browser, name, await stepPage(browser, name, first, user.username), "/mfa", { code: totpCode(secret, 1) }));
    const second = await authorization();
    const tokens = await tokensOf(eu, name, second, await browser.get(`/t/${name}/authorize?${second.query}`));
    expect(decodeJwt(tokens.id_token).amr).toEqual(["pwd", "otp", "mfa"]);
  });

  it("M a recovery code answers the step once: amr [pwd, kba, mfa]; the same code again is refused", async () => {
    const { name, user, recoveryCodes } = await personWithApp();
    const [code] = recoveryCodes!;
    const browser = browserAt();
    const request = await authorization();
    const used = await postStep(browser, name, await stepPage(browser, name, request, user.username), "/mfa", { recovery_code: code!.toUpperCase() });
    expect(decodeJwt((await tokensOf(eu, name, request, used)).id_token).amr).toEqual(["pwd", "kba", "mfa"]);
    const other = browserAt();
    const again = await postStep(other, name, await stepPage(other, name, await authorization(), user.username), "/mfa", { recovery_code: code! });
    expect(again.status).toBe(401);
    const html = await again.text();
    expect(html).toContain(escaped(en.refusals.wrong_code));
    expect(html).toMatch(/<details open="">/);
  });

  it("M no code at all, or not six digits, is the page again saying what to type (400), and spends nothing", async () => {
    const { name, user, secret } = await personWithApp();
    const browser = browserAt();
    const request = await authorization();
    const html = await stepPage(browser, name, request, user.username);
    for (const code of ["", "12345", "abcdef"]) {
      const refused = await postStep(browser, name, html, "/mfa", { code });
      expect(refused.status, code).toBe(400);
      expect(await refused.text()).toContain("Enter the 6 digits of the code.");
    }
    await tokensOf(eu, name, request, await postStep(browser, name, html, "/mfa", { code: totpCode(secret, 1) }));
  });

  it("M L wrong codes count toward the lockout: at the tenant's number the sign-in page says the account is locked", async () => {
    const { name, tenantId, user } = await personWithApp();
    await eu.db.prepare("UPDATE tenants SET lockout_max_attempts = 3 WHERE id = ?").bind(tenantId).run();
    const browser = browserAt();
    let html = await stepPage(browser, name, await authorization(), user.username);
    for (const code of ["000000", "000001"]) {
      const wrong = await postStep(browser, name, html, "/mfa", { code });
      expect(wrong.status).toBe(401);
      html = await wrong.text();
    }
    const locked = await postStep(browser, name, html, "/mfa", { code: "000002" });
    expect(locked.status).toBe(429);
    const page = await locked.text();
    expect(page).toContain(escaped(en.refusals.account_locked));
    expect(page).toContain('name="password"');
  });

  it("M S T an mfaToken of another client (the app's JSON sign-in) or of another tenant is no step here: the sign-in page says to start again", async () => {
    const { name, user, secret } = await personWithApp();
    const browser = browserAt();
    const request = await authorization();
    const html = await stepPage(browser, name, request, user.username);
    const apps = await firstStep(eu, name, user.username, PASSWORD);
    const foreign = await browser.post(`/t/${name}/authorize/mfa`, { ...stepFields(html), mfa_token: apps.mfaToken, code: totpCode(secret, 1) });
    expect(foreign.status).toBe(401);
    const page = await foreign.text();
    expect(page).toContain(escaped(en.refusals.step_ended));
    expect(page).toContain('name="password"');

    const other = await personWithApp();
    const otherBrowser = browserAt();
    const otherHtml = await stepPage(otherBrowser, other.name, await authorization(), other.user.username);
    const crossed = await browser.post(`/t/${name}/authorize/mfa`, { ...stepFields(html), mfa_token: hiddenOf(otherHtml, "mfa_token"), code: totpCode(other.secret, 1) });
    expect(await crossed.text()).toContain(escaped(en.refusals.step_ended));
    // Neither attempt spent this page's own step.
    await tokensOf(eu, name, request, await postStep(browser, name, html, "/mfa", { code: totpCode(secret, 1) }));
  });

  it("S the step's forms need their CSRF token", async () => {
    const { name, user, secret } = await personWithApp();
    const browser = browserAt();
    const html = await stepPage(browser, name, await authorization(), user.username);
    const forged = await browser.post(`/t/${name}/authorize/mfa`, { ...stepFields(html), csrf: "forged", code: totpCode(secret, 1) });
    expect(forged.status).toBe(403);
  });

  it("M remember this device: a cookie (HttpOnly, SameSite=Lax, the tenant's path, max-age of rememberDays) skips the step at the next password sign-in", async () => {
    const { name, user, secret } = await personWithApp();
    const browser = browserAt();
    const html = await stepPage(browser, name, await authorization(), user.username);
    const passed = await postStep(browser, name, html, "/mfa", { code: totpCode(secret, 1), remember: "on" });
    const cookie = setCookieOf(passed, "printid_remember")!;
    expect(cookie.attributes.has("httponly")).toBe(true);
    expect(cookie.attributes.has("secure")).toBe(true);
    expect(cookie.attributes.get("samesite")).toBe("Lax");
    expect(cookie.attributes.get("path")).toBe(`/t/${name}`);
    expect(cookie.attributes.get("max-age")).toBe(String(30 * 86_400));

    const skipped = await signInOnPage(browser, name, await authorization({ prompt: "login" }), user.username, PASSWORD);
    expect(answerOf(skipped).get("code")).toBeTruthy();
    // Another browser, without the cookie, is asked.
    const elsewhere = browserAt();
    await stepPage(elsewhere, name, await authorization(), user.username);
  });

  it("M the code a remembered device's sign-in gets is redeemed at /token: its ID token's amr is [pwd, rba]", async () => {
    const { name, user, secret } = await personWithApp();
    const browser = browserAt();
    await postStep(browser, name, await stepPage(browser, name, await authorization(), user.username), "/mfa", { code: totpCode(secret, 1), remember: "on" });
    const next = await authorization({ prompt: "login" });
    const skipped = await signInOnPage(browser, name, next, user.username, PASSWORD);
    expect(decodeJwt((await tokensOf(eu, name, next, skipped)).id_token).amr).toEqual(["pwd", "rba"]);
  });

  it("M remember this device ends with a reset of the person's factors: set up again, the same browser is asked", async () => {
    const { name, user, secret } = await personWithApp();
    const browser = browserAt();
    await postStep(browser, name, await stepPage(browser, name, await authorization(), user.username), "/mfa", { code: totpCode(secret, 1), remember: "on" });
    expect(browser.cookie("printid_remember")).toBeDefined();
    const reset = await eu.fetch(`/t/${name}/admin/users/${user.id}/factors`, { method: "DELETE", headers: await adminAuth(eu, name) });
    expect(reset.status).toBe(204);
    await enrolTotp(eu, name, bearer((await tokensFor(eu, name, user.username)).access_token));
    await stepPage(browser, name, await authorization({ prompt: "login" }), user.username);
  });

  it("M without rememberDays the page offers no \"Remember this device\"", async () => {
    const { name, user } = await personWithApp();
    expect((await patchSettings({ region: eu, tenant: name, auth: await adminAuth(eu, name) }, { mfa: { rememberDays: 0 } })).status).toBe(200);
    const html = await stepPage(browserAt(), name, await authorization(), user.username);
    expect(html).not.toContain('name="remember"');
  });
});

describe("a browser's session from before the policy", () => {
  it("M a session that passed no second factor answers no request once the person owes one: the sign-in page asks again", async () => {
    const { name, user } = await tenantWithUser(eu, {});
    const browser = browserAt();
    // Signed in on the page while nothing was owed: the browser's session holds the password only.
    answerOf(await signInOnPage(browser, name, await authorization(), user.username, PASSWORD));
    const reused = await browser.get(`/t/${name}/authorize?${(await authorization()).query}`);
    expect(reused.status, "the session answers while nothing is owed").toBe(302);
    expect((await patchSettings({ region: eu, tenant: name, auth: await adminAuth(eu, name) }, { mfa: { mode: "all" } })).status).toBe(200);
    const asked = await browser.get(`/t/${name}/authorize?${(await authorization()).query}`);
    expect(asked.status, "the sign-in page, not a code the token endpoint would refuse").toBe(200);
    expect(await asked.text()).toContain('name="password"');
  });
});

describe("a first factor set up within the sign-in", () => {
  it("M a person who must have a factor (mode all) sets up an app on the page: its QR code inline and its key, then its first code; recovery codes once; Continue gives the code", async () => {
    const { name, user } = await tenantWithUser(eu);
    expect((await patchSettings({ region: eu, tenant: name, auth: await adminAuth(eu, name) }, { mfa: { mode: "all" } })).status).toBe(200);
    const browser = browserAt();
    const request = await authorization();
    const choice = await stepPage(browser, name, request, user.username);
    expect(choice).toContain(escaped(en.setUp.text));
    expect(choice).toContain(escaped(en.setUp.totp));
    // The seeded address is not confirmed: e-mail codes are not offered.
    expect(choice).not.toContain(escaped(en.setUp.email));

    const setUp = await postStep(browser, name, choice, "/mfa/enrol", { type: "totp" });
    expect(setUp.status).toBe(200);
    const html = await setUp.text();
    expect(html).toMatch(/<div class="qr" role="img" aria-label="[^"]+"><svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const key = keyOn(html);
    expect(key).toMatch(/^[A-Z2-7]{32}$/);

    const wrong = await postStep(browser, name, html, "/mfa", { code: "000000" });
    expect(wrong.status).toBe(401);
    const retry = await wrong.text();
    expect(retry).toContain(escaped(en.refusals.wrong_code));
    expect(retry).toContain(escaped(en.secondStep.startAgain));

    const confirmed = await postStep(browser, name, retry, "/mfa", { code: totpCode(key) });
    expect(confirmed.status).toBe(200);
    const codesPage = await confirmed.text();
    expect(codesPage).toContain(escaped(en.recoveryCodes.title));
    const codes = [...codesPage.matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)].map((match) => match[1]!);
    expect(codes).toHaveLength(10);

    const continued = await browser.post(`/t/${name}/authorize/continue`, { csrf: hiddenOf(codesPage, "csrf"), authorization: hiddenOf(codesPage, "authorization") });
    expect(decodeJwt((await tokensOf(eu, name, request, continued)).id_token).amr).toEqual(["pwd", "otp", "mfa"]);

    // The codes were shown that once, and work: one signs in elsewhere.
    const elsewhere = browserAt();
    const next = await authorization();
    const step = await stepPage(elsewhere, name, next, user.username);
    expect(step).not.toContain(codes[0]);
    expect(decodeJwt((await tokensOf(eu, name, next, await postStep(elsewhere, name, step, "/mfa", { recovery_code: codes[0]! }))).id_token).amr).toEqual(["pwd", "kba", "mfa"]);
  });

  it("M E a person with a confirmed address may choose e-mail codes instead: one is mailed at once, and it finishes the sign-in", async () => {
    const { name, user } = await tenantWithUser(eu);
    await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    expect((await patchSettings({ region: eu, tenant: name, auth: await adminAuth(eu, name) }, { mfa: { mode: "all" } })).status).toBe(200);
    const browser = browserAt();
    const request = await authorization();
    const choice = await stepPage(browser, name, request, user.username);
    const mailed = await postStep(browser, name, choice, "/mfa/enrol", { type: "email" });
    expect(mailed.status).toBe(200);
    const html = await mailed.text();
    expect(html).toContain(escaped(en.secondStep.emailSent));
    const code = codeOf(await nthMailTo(user.email));
    const passed = await postStep(browser, name, html, "/mfa", { code });
    expect(passed.status).toBe(200);
    expect(await passed.text()).toContain(escaped(en.recoveryCodes.title));
  });

  it("M X a provider's sign-in on the page where everyone needs a factor goes on to set one up; the code then says [fed, otp, mfa]", async () => {
    const tenant = await openTenant(eu, { providers: { work: ["google"], personal: ["google"] } });
    expect((await patchSettings({ region: eu, tenant: tenant.name, auth: await adminAuth(eu, tenant.name) }, { mfa: { mode: "all" } })).status).toBe(200);
    const browser = browserAt();
    const request = await authorization();
    const toGoogle = await browser.get(`/t/${tenant.name}/authorize/provider/google?${request.query}`);
    const google = await followProvider(toGoogle.headers.get("Location")!);
    await setClaims("google", google.code, newPerson("google"));
    const back = await browser.get(`/oauth/google/callback?${new URLSearchParams({ code: google.code, state: google.state })}`);
    expect(back.status).toBe(401);
    const choice = await back.text();
    expect(choice).toContain(escaped(en.setUp.totp));
    const setUp = await (await postStep(browser, tenant.name, choice, "/mfa/enrol", { type: "totp" })).text();
    const codes = await postStep(browser, tenant.name, setUp, "/mfa", { code: totpCode(keyOn(setUp)) });
    const codesPage = await codes.text();
    const continued = await browser.post(`/t/${tenant.name}/authorize/continue`, { csrf: hiddenOf(codesPage, "csrf"), authorization: hiddenOf(codesPage, "authorization") });
    expect(decodeJwt((await tokensOf(eu, tenant.name, request, continued)).id_token).amr).toEqual(["fed", "otp", "mfa"]);
  });

  it("M R a registration on the page where everyone needs a factor goes on to set one up", async () => {
    const { name } = await tenantWithUser(eu, { allowRegistration: true, newUsersActiveByDefault: true });
    expect((await patchSettings({ region: eu, tenant: name, auth: await adminAuth(eu, name) }, { mfa: { mode: "all" } })).status).toBe(200);
    const browser = browserAt();
    const request = await authorization();
    const page = await browser.get(`/t/${name}/authorize/register?${request.query}`);
    const form = await page.text();
    const registered = await browser.post(`/t/${name}/authorize/register`, {
      csrf: hiddenOf(form, "csrf"),
      authorization: hiddenOf(form, "authorization"),
      email: `new-${crypto.randomUUID().slice(0, 8)}@example.com`,
      firstName: "Nora",
      password: PASSWORD,
    });
    expect(registered.status).toBe(401);
    expect(await registered.text()).toContain(escaped(en.setUp.totp));
  });
});

describe("a code by e-mail on the page", () => {
  it("M E \"Send me a code by e-mail\" mails six digits to the confirmed address; that code gives amr [pwd, email, mfa]", async () => {
    const { name, user } = await tenantWithUser(eu);
    await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    const auth = bearer((await tokensFor(eu, name, user.username)).access_token);
    expect((await eu.fetch(`/t/${name}/me/factors/email`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: "{}" })).status).toBe(201);
    const browser = browserAt();
    const request = await authorization();
    const html = await stepPage(browser, name, request, user.username);
    expect(html).toContain(escaped(en.secondStep.sendEmail));
    const sent = await postStep(browser, name, html, "/mfa/email", {});
    expect(sent.status).toBe(200);
    const page = await sent.text();
    expect(page).toContain(escaped(en.secondStep.emailSent));
    const code = codeOf(await nthMailTo(user.email));
    const tokens = await tokensOf(eu, name, request, await postStep(browser, name, page, "/mfa", { code }));
    expect(decodeJwt(tokens.id_token).amr).toEqual(["pwd", "email", "mfa"]);
  });
});

/** A browser signed in on the hosted page as a person without a factor, on the account's page of factors. */
async function onFactorsPage(settings: Record<string, unknown> = {}) {
  const fixture = await tenantWithUser(eu, settings);
  const browser = browserAt();
  const request = await authorization();
  await tokensOf(eu, fixture.name, request, await signInOnPage(browser, fixture.name, request, fixture.user.username, PASSWORD));
  const base = `/t/${fixture.name}/account/factors`;
  const page = await browser.get(base);
  expect(page.status).toBe(200);
  return { ...fixture, browser, base, html: await page.text() };
}

/** Posts the page's form to `action` as it stands, with `more` fields typed in. */
const submit = (browser: Browser, html: string, action: string, more: Record<string, string> = {}) => browser.post(action, { ...formFieldsOf(html, action), ...more });

/** The recovery codes a page shows. */
const codesOn = (html: string) => [...html.matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)].map((match) => match[1]!);

describe("the account's second factors", () => {
  it("M P the page needs the browser's session: without one, it says to sign in first", async () => {
    const { name } = await tenantWithUser(eu);
    const response = await browserAt().get(`/t/${name}/account/factors`);
    expect(response.status).toBe(401);
    expect(await response.text()).toContain(escaped(en.factors.signInFirst));
  });

  it("M a person without a factor sets up an app on the page: QR code and key, its first code, recovery codes once; then the page lists it and sign-in asks for it", async () => {
    const { name, user, browser, base, html } = await onFactorsPage();
    expect(html).toContain(escaped(en.factors.none));
    expect(html).toContain(escaped(en.factors.optional));
    // No factor yet: nothing to confirm first.
    const setUp = await submit(browser, html, `${base}/totp`);
    expect(setUp.status).toBe(200);
    const setUpHtml = await setUp.text();
    expect(setUpHtml).toContain("<svg");
    const key = keyOn(setUpHtml);
    const wrong = await submit(browser, setUpHtml, `${base}/totp-confirm`, { code: "000000" });
    expect(wrong.status).toBe(401);
    const again = await wrong.text();
    expect(again).toContain(escaped(en.refusals.wrong_code));
    const confirmed = await submit(browser, again, `${base}/totp-confirm`, { code: totpCode(key) });
    expect(confirmed.status).toBe(200);
    expect(codesOn(await confirmed.text())).toHaveLength(10);

    const listed = await (await browser.get(base)).text();
    expect(listed).toContain(escaped(en.factors.types.totp));
    expect(listed).toContain(escaped(en.factors.recoveryLeft(10)));
    expect(codesOn(listed)).toEqual([]);
    await stepPage(browserAt(), name, await authorization(), user.username);
  });

  it("M a change asks a fresh second factor first: \"Confirm it's you\", a wrong code said, the right one makes it (new recovery codes replace the old)", async () => {
    const { name, user, browser, base } = await onFactorsPage();
    const { secret, recoveryCodes } = await enrolTotp(eu, name, bearer((await tokensFor(eu, name, user.username)).access_token));
    const html = await (await browser.get(base)).text();
    const asked = await submit(browser, html, `${base}/recovery-codes`);
    expect(asked.status).toBe(200);
    const confirm = await asked.text();
    expect(confirm).toContain(escaped(en.factors.confirmTitle));
    expect(codesOn(confirm)).toEqual([]);

    const wrong = await submit(browser, confirm, `${base}/recovery-codes`, { code: "000000" });
    expect(wrong.status).toBe(401);
    const retry = await wrong.text();
    expect(retry).toContain(escaped(en.refusals.wrong_code));
    const made = await submit(browser, retry, `${base}/recovery-codes`, { code: totpCode(secret, 1) });
    expect(made.status).toBe(200);
    const fresh = codesOn(await made.text());
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes![0]);
    // The old codes are gone.
    const other = browserAt();
    const refused = await postStep(other, name, await stepPage(other, name, await authorization(), user.username), "/mfa", { recovery_code: recoveryCodes![0]! });
    expect(refused.status).toBe(401);
  });

  it("M S a step token of another session, or none that is live, is no confirmation: the page says to start again and nothing changes", async () => {
    const { name, user, browser, base } = await onFactorsPage();
    const { secret } = await enrolTotp(eu, name, bearer((await tokensFor(eu, name, user.username)).access_token));
    const html = await (await browser.get(base)).text();
    const confirm = await (await submit(browser, html, `${base}/remove`, { type: "totp" })).text();
    // The person's other browser starts a change too: its token is not this session's.
    const other = browserAt();
    const request = await authorization();
    await tokensOf(eu, name, request, await postStep(other, name, await stepPage(other, name, request, user.username), "/mfa", { code: totpCode(secret, 1) }));
    await codeStepPassed(eu, user.id);
    const otherConfirm = await (await submit(other, await (await other.get(base)).text(), `${base}/remove`, { type: "totp" })).text();
    const crossed = await submit(browser, confirm, `${base}/remove`, { mfa_token: hiddenOf(otherConfirm, "mfa_token"), code: totpCode(secret) });
    expect(crossed.status).toBe(401);
    expect(await crossed.text()).toContain(escaped(en.refusals.step_ended));
    expect(await (await browser.get(base)).text()).toContain(escaped(en.factors.types.totp));
  });

  it("M E codes by e-mail need a confirmed address; once added, a change's confirmation can be answered by a mailed code; then a factor is removed", async () => {
    const { user, browser, base, html } = await onFactorsPage();
    expect(html).toContain(escaped(en.factors.emailNeedsAddress));
    expect(html).not.toContain(`action="${base}/email"`);
    await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    const withAddress = await (await browser.get(base)).text();
    const added = await submit(browser, withAddress, `${base}/email`);
    expect(added.status).toBe(200);
    expect(codesOn(await added.text())).toHaveLength(10);

    const listed = await (await browser.get(base)).text();
    expect(listed).toContain(escaped(en.factors.types.email));
    const confirm = await (await submit(browser, listed, `${base}/remove`, { type: "email" })).text();
    expect(confirm).toContain(escaped(en.secondStep.sendEmail));
    const mailed = await submit(browser, confirm, `${base}/code`);
    expect(mailed.status).toBe(200);
    const mailedHtml = await mailed.text();
    expect(mailedHtml).toContain(escaped(en.secondStep.emailSent));
    const removed = await submit(browser, mailedHtml, `${base}/remove`, { code: codeOf(await nthMailTo(user.email)) });
    expect(removed.status).toBe(303);
    expect(removed.headers.get("Location")).toBe(`${base}?done=removed`);
    const after = await (await browser.get(`${base}?done=removed`)).text();
    expect(after).toContain(escaped(en.factors.done.removed));
    expect(after).toContain(escaped(en.factors.none));
  });

  it("M the last factor of a person the tenant requires one of is not offered for removal, and a post to remove it is refused on the page", async () => {
    const { name, user, browser, base } = await onFactorsPage();
    await enrolTotp(eu, name, bearer((await tokensFor(eu, name, user.username)).access_token));
    expect((await patchSettings({ region: eu, tenant: name, auth: await adminAuth(eu, name) }, { mfa: { mode: "all" } })).status).toBe(200);
    const html = await (await browser.get(base)).text();
    expect(html).toContain(escaped(en.factors.required));
    expect(html).toContain(escaped(en.factors.keepOne));
    expect(html).not.toContain(`action="${base}/remove"`);
    const refused = await browser.post(`${base}/remove`, { csrf: hiddenOf(html, "csrf"), type: "totp" });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(escaped(en.factors.types.totp));
  });

  it("S the account's forms need their CSRF token", async () => {
    const { browser, base } = await onFactorsPage();
    expect((await browser.post(`${base}/totp`, { csrf: "forged" })).status).toBe(403);
  });
});

describe("a password reset by link, with a second factor", () => {
  it("M L the reset page asks a person with an app for a code too: the password again with the code; a wrong code is said; the right one sets it", async () => {
    const { name, user, secret } = await personWithApp();
    await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    expect((await eu.fetch(`/t/${name}/password/forgot`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ login: user.username }) })).status).toBe(202);
    const { path, token } = linkOf(await nthMailTo(user.email));
    const browser = browserAt();
    const linked = await (await browser.get(`${path}?token=${encodeURIComponent(token)}`)).text();
    const NEW = "a brand new passphrase";
    const asked = await submit(browser, linked, path, { password: NEW });
    expect(asked.status).toBe(401);
    const stepHtml = await asked.text();
    expect(stepHtml).toContain(escaped(en.account.reset.secondFactor));
    expect(stepHtml).toContain('autocomplete="one-time-code"');
    // The link alone changed nothing.
    expect((await firstStep(eu, name, user.username, PASSWORD)).code).toBe("mfa_required");

    const wrong = await submit(browser, stepHtml, path, { password: NEW, code: "000000" });
    expect(wrong.status).toBe(401);
    const retry = await wrong.text();
    expect(retry).toContain(escaped(en.refusals.wrong_code));
    const done = await submit(browser, retry, path, { password: NEW, code: totpCode(secret, 1) });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain(escaped(en.account.reset.done));
    expect((await firstStep(eu, name, user.username, NEW)).code).toBe("mfa_required");
  });
});
