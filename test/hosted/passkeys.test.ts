// Passkeys on the hosted pages (issue 16), driven through HTTP as the passkey script and a browser would, with
// a software authenticator (support/webauthn) as the other party: the script itself (its type, caching, and the
// CSP that lets exactly it run and fetch exactly its options); adding a passkey on the account's page (options
// fetched with the form's fields, or after "Confirm it's you" made for the page, the credential posted back,
// recovery codes once) and removing one after a fresh factor; a passkey alone on the sign-in page (the code's
// ID token says hwk and mfa); a passkey as the second step; and the refusals (a wrong key, a replayed challenge,
// an unusable answer, another tenant's passkey), each a page in words, never a 5xx.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { en } from "../../src/hosted/i18n/en";
import { adminAuth, patchSettings } from "../support/admin";
import { Browser } from "../support/browser";
import { eu } from "../support/regions";
import { json } from "../support/tenants";
import { bearer, PASSWORD, tenantWithUser, tokensFor } from "../support/users";
import { newSigningKeys, SoftwarePasskey, type CreationOptions, type RequestOptions } from "../support/webauthn";
import { formFieldsOf } from "../console/support";
import { enrolTotp, totpCode } from "../factors/support";
import { answerOf, authorization, browserAt, hiddenOf, signInOnPage, tokensOf, type Authorization } from "./flow";
import { escaped } from "./support";

type Fields = Record<string, string>;

const authorizeOf = (tenant: string) => `/t/${tenant}/authorize`;
const factorsOf = (tenant: string) => `/t/${tenant}/account/factors`;

/** Text as it was before hono/jsx escaped it into an attribute. */
const unescaped = (value: string) => value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** An attribute's value as the page wrote it, read. */
function attributeOf(html: string, name: string): string | undefined {
  const value = new RegExp(` ${name}="([^"]*)"`).exec(html)?.[1];
  return value === undefined ? undefined : unescaped(value);
}

/** The fields the first form to `action` posts as it stands (the script's FormData), read. */
const fieldsOf = (html: string, action: string): Fields => Object.fromEntries(Object.entries(formFieldsOf(html, action)).map(([name, value]) => [name, unescaped(value)]));

/** What the script does with a form whose options come from `data-options-action`: posts the form's fields there; the JSON. */
async function fetchOptions<T>(browser: Browser, action: string, fields: Fields): Promise<T> {
  const response = await browser.post(action, fields);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  return (await response.json()) as T;
}

/** A person of a new tenant with a passkey enrolled through the JSON API: the passkey on the software authenticator. */
async function personWithPasskey(settings: Record<string, unknown> = {}) {
  const fixture = await tenantWithUser(eu, settings);
  const auth = bearer((await tokensFor(eu, fixture.name, fixture.user.username)).access_token);
  const options = await eu.fetch(`/t/${fixture.name}/me/factors/passkeys/options`, json({}, auth));
  expect(options.status, await options.clone().text()).toBe(200);
  const passkey = await SoftwarePasskey.create(eu.origin);
  const added = await eu.fetch(`/t/${fixture.name}/me/factors/passkeys`, json({ name: "Phone", response: await passkey.attestation((await options.json()) as CreationOptions) }, auth));
  expect(added.status, await added.clone().text()).toBe(201);
  return { ...fixture, auth, passkey };
}

/** The sign-in page of a new authorization request: the request and the passkey form's fields. */
async function signInPageOf(browser: Browser, tenant: string) {
  const request = await authorization();
  const page = await browser.get(`${authorizeOf(tenant)}?${request.query}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  return { request, page, html, fields: fieldsOf(html, `${authorizeOf(tenant)}/passkey`) };
}

/** A passkey alone on the sign-in page, as the script drives it: the options, the authenticator's assertion, the form posted. */
async function passkeySignIn(browser: Browser, tenant: string, passkey: SoftwarePasskey, tweaks: Parameters<SoftwarePasskey["assertion"]>[1] = {}) {
  const { request, fields } = await signInPageOf(browser, tenant);
  const options = await fetchOptions<RequestOptions>(browser, `${authorizeOf(tenant)}/passkey/options`, fields);
  const assertion = await passkey.assertion(options, tweaks);
  const response = await browser.post(`${authorizeOf(tenant)}/passkey`, { ...fields, webauthn_response: JSON.stringify(assertion) });
  return { request, response, fields, assertion };
}

/** A browser signed in on the hosted page (the password) as the tenant's user, on the account's page of factors. */
async function onFactorsPage(tenant: string, username: string) {
  const browser = browserAt();
  const request = await authorization();
  await tokensOf(eu, tenant, request, await signInOnPage(browser, tenant, request, username, PASSWORD));
  const page = await browser.get(factorsOf(tenant));
  expect(page.status).toBe(200);
  return { browser, page, html: await page.text() };
}

/** The "Add a passkey" form of a page, with `name` typed, and the authenticator's credential for `options` in it. */
async function withCredential(html: string, tenant: string, name: string, passkey: SoftwarePasskey, options: CreationOptions): Promise<Fields> {
  return { ...fieldsOf(html, `${factorsOf(tenant)}/passkey`), passkey_name: name, passkey_credential: JSON.stringify(await passkey.attestation(options)) };
}

/** The recovery codes a page shows. */
const codesOn = (html: string) => [...html.matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)].map((match) => match[1]!);

/** The password on the page for a person who owes a second step: its page's HTML. */
async function stepPageOf(browser: Browser, tenant: string, request: Authorization, username: string): Promise<string> {
  const response = await signInOnPage(browser, tenant, request, username, PASSWORD);
  expect(response.status, await response.clone().text()).toBe(401);
  return response.text();
}

describe("the passkey script", () => {
  it("S it is served as JavaScript (nosniff), kept a year under its versioned URL and asked again under any other; it uses the browser's WebAuthn JSON helpers and no other site", async () => {
    const { name } = await tenantWithUser(eu);
    const { html } = await signInPageOf(browserAt(), name);
    const src = /<script src="([^"]+)" defer=""><\/script>/.exec(html)?.[1]?.replace(/&amp;/g, "&");
    expect(src).toMatch(new RegExp(`^/t/${name}/authorize/passkey\\.js\\?v=[0-9a-f]{8}$`));
    const script = await eu.fetch(src!);
    expect(script.status).toBe(200);
    expect(script.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(script.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const body = await script.text();
    for (const helper of ["parseCreationOptionsFromJSON", "parseRequestOptionsFromJSON", "toJSON()", 'mediation: "conditional"']) expect(body).toContain(helper);
    expect(body).not.toMatch(/https?:|eval\(|innerHTML|document\.write/);
    // The same script for every tenant; a URL of no version (a page older than a deploy) is asked again.
    const unversioned = await eu.fetch(`/t/${name}/authorize/passkey.js`);
    expect(await unversioned.text()).toBe(body);
    expect(unversioned.headers.get("Cache-Control")).toBe("no-cache");
  });

  it("S the sign-in page offers a passkey only with the script: its form hidden, the login field's suggestions with passkeys; a tenant without passkeys runs no script at all", async () => {
    const { name } = await tenantWithUser(eu);
    const { html } = await signInPageOf(browserAt(), name);
    expect(html).toMatch(/<form method="post" action="[^"]+\/authorize\/passkey" data-passkey="get" data-options-action="[^"]+\/authorize\/passkey\/options" data-conditional="" data-passkey-part="" hidden="">/);
    expect(html).toContain('autocomplete="username webauthn"');
    expect(html).toContain(escaped(en.signIn.passkey));

    const without = await tenantWithUser(eu, { mfa: { mode: "optional", factors: ["totp", "email"], rememberDays: 30, trustProviderMfa: false } });
    const page = await browserAt().get(`${authorizeOf(without.name)}?${(await authorization()).query}`);
    const plain = await page.text();
    expect(plain).not.toContain("<script");
    expect(plain).not.toContain("data-passkey");
    expect(page.headers.get("Content-Security-Policy")).not.toContain("script-src");
  });

  it("S the account's page and the second step's run the script and fetch only their own options (CSP); without a passkey the step's page runs none", async () => {
    const { name, user, passkey } = await personWithPasskey();
    const { page } = await onFactorsPageWithStep(name, user.username, passkey);
    // The person has a passkey: adding another confirms it first, so the page fetches nothing to begin with.
    expect(page.headers.get("Content-Security-Policy")).toBe(
      `default-src 'none'; script-src ${eu.origin}/t/${name}/authorize/passkey.js; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    const fresh = await tenantWithUser(eu);
    const { page: first } = await onFactorsPage(fresh.name, fresh.user.username);
    expect(first.headers.get("Content-Security-Policy")).toContain(`script-src ${eu.origin}/t/${fresh.name}/authorize/passkey.js; connect-src ${eu.origin}${factorsOf(fresh.name)}/passkey/options;`);

    const step = await signInOnPage(browserAt(), name, await authorization(), user.username, PASSWORD);
    expect(step.status).toBe(401);
    expect(step.headers.get("Content-Security-Policy")).toContain(
      `script-src ${eu.origin}/t/${name}/authorize/passkey.js; connect-src ${eu.origin}/t/${name}/authorize/mfa/passkey;`,
    );
    expect(step.headers.get("Content-Security-Policy")).toContain("form-action 'self' com.printid.app:");

    const withApp = await tenantWithUser(eu);
    await enrolTotp(eu, withApp.name, bearer((await tokensFor(eu, withApp.name, withApp.user.username)).access_token));
    const appStep = await signInOnPage(browserAt(), withApp.name, await authorization(), withApp.user.username, PASSWORD);
    expect(appStep.headers.get("Content-Security-Policy")).not.toContain("script-src");
    expect(await appStep.text()).not.toContain("<script");
  });
});

/** The account's page of a person who holds `passkey` (signed in on the page through its second step with it). */
async function onFactorsPageWithStep(tenant: string, username: string, passkey: SoftwarePasskey) {
  const browser = browserAt();
  const request = await authorization();
  const html = await stepPageOf(browser, tenant, request, username);
  const fields = fieldsOf(html, `${authorizeOf(tenant)}/mfa`);
  const options = await fetchOptions<RequestOptions>(browser, `${authorizeOf(tenant)}/mfa/passkey`, fields);
  await tokensOf(eu, tenant, request, await browser.post(`${authorizeOf(tenant)}/mfa`, { ...fields, webauthn_response: JSON.stringify(await passkey.assertion(options)) }));
  const page = await browser.get(factorsOf(tenant));
  expect(page.status).toBe(200);
  return { browser, page, html: await page.text() };
}

describe("adding and removing a passkey on the account's page", () => {
  it("M a person without a factor adds one: the options fetched with the form's fields, the credential posted with its name, recovery codes once; then it is listed and signs in", async () => {
    const { name, user } = await tenantWithUser(eu);
    const { browser, html } = await onFactorsPage(name, user.username);
    const base = factorsOf(name);
    expect(html).toContain(`data-passkey="create" data-options-action="${base}/passkey/options"`);
    const form = fieldsOf(html, `${base}/passkey`);
    expect(Object.keys(form).sort()).toEqual(["csrf", "passkey_credential", "passkey_name"]);

    const options = await fetchOptions<CreationOptions>(browser, `${base}/passkey/options`, { ...form, passkey_name: "Work laptop" });
    expect(options.rp.id).toBe(new URL(eu.origin).hostname);
    const passkey = await SoftwarePasskey.create(eu.origin);
    const added = await browser.post(`${base}/passkey`, { ...form, passkey_name: "Work laptop", passkey_credential: JSON.stringify(await passkey.attestation(options)) });
    expect(added.status, await added.clone().text()).toBe(200);
    const codesPage = await added.text();
    expect(codesPage).toContain(escaped(en.recoveryCodes.title));
    expect(codesOn(codesPage)).toHaveLength(10);

    const listed = await (await browser.get(base)).text();
    expect(listed).toContain(`${escaped(en.factors.types.passkey)}: Work laptop`);
    expect(listed).toContain(escaped(en.factors.removePasskey("Work laptop")));
    expect(codesOn(listed)).toEqual([]);
    // Now a factor to confirm first: the page fetches no options any more.
    expect(listed).toContain('data-passkey="create" data-passkey-part=""');
    const { response } = await passkeySignIn(browserAt(), name, passkey);
    expect(answerOf(response).get("code")).toBeTruthy();
  });

  it("M a person with an app confirms it first: the script is refused the options (401), the form's post asks \"Confirm it's you\", the code brings the page with options made for it; the passkey is added", async () => {
    const { name, user } = await tenantWithUser(eu);
    const { browser, html } = await onFactorsPage(name, user.username);
    const { secret } = await enrolTotp(eu, name, bearer((await tokensFor(eu, name, user.username)).access_token));
    const base = factorsOf(name);
    const form = { ...fieldsOf(html, `${base}/passkey`), passkey_name: "Office key" };
    const refused = await browser.post(`${base}/passkey/options`, form);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ code: "mfa_required" });

    const confirm = await browser.post(`${base}/passkey`, form);
    expect(confirm.status).toBe(200);
    const confirmHtml = await confirm.text();
    expect(confirmHtml).toContain(escaped(en.factors.confirmTitle));
    expect(hiddenOf(confirmHtml, "passkey_name")).toBe("Office key");
    const ready = await browser.post(`${base}/passkey`, { ...fieldsOf(confirmHtml, `${base}/passkey`), code: totpCode(secret, 1) });
    expect(ready.status).toBe(200);
    const readyHtml = await ready.text();
    expect(readyHtml).toContain(escaped(en.factors.passkeyReady));
    expect(readyHtml).not.toContain("data-options-action");
    const options = JSON.parse(attributeOf(readyHtml, "data-options")!) as CreationOptions;
    expect(attributeOf(readyHtml.slice(readyHtml.indexOf('id="passkey_name"') - 200), "value")).toBe("Office key");

    const added = await browser.post(`${base}/passkey`, await withCredential(readyHtml, name, "Office key", await SoftwarePasskey.create(eu.origin), options));
    expect(added.status).toBe(303);
    expect(added.headers.get("Location")).toBe(`${base}?done=passkey`);
    const listed = await (await browser.get(`${base}?done=passkey`)).text();
    expect(listed).toContain(escaped(en.factors.done.passkey));
    expect(listed).toContain(`${escaped(en.factors.types.passkey)}: Office key`);
  });

  it("M S a credential that answers no options of this person, options used twice, an unusable answer, no name: the page again saying why (400), never a 5xx", async () => {
    const { name, user } = await tenantWithUser(eu);
    const { browser, html } = await onFactorsPage(name, user.username);
    const base = factorsOf(name);
    const form = fieldsOf(html, `${base}/passkey`);
    const options = await fetchOptions<CreationOptions>(browser, `${base}/passkey/options`, form);
    const madeUp = await browser.post(`${base}/passkey`, await withCredential(html, name, "Made up", await SoftwarePasskey.create(eu.origin), { ...options, challenge: "bm90LWEtY2hhbGxlbmdlLW9mLW91cnM" }));
    expect(madeUp.status).toBe(400);
    expect(await madeUp.text()).toContain(escaped(en.refusals.validation_failed));
    const garbage = await browser.post(`${base}/passkey`, { ...form, passkey_name: "Garbage", passkey_credential: "{not json" });
    expect(garbage.status).toBe(400);
    const unnamed = await browser.post(`${base}/passkey`, { ...form, passkey_name: "  " });
    expect(unnamed.status).toBe(400);
    expect(await unnamed.text()).toContain('id="passkey_name-error"');

    const good = await withCredential(html, name, "Laptop", await SoftwarePasskey.create(eu.origin), options);
    expect((await browser.post(`${base}/passkey`, good)).status).toBe(200);
    const again = await browser.post(`${base}/passkey`, await withCredential(html, name, "Again", await SoftwarePasskey.create(eu.origin), options));
    expect(again.status).toBe(400);
  });

  it("S P the script's options need the form's CSRF token and the browser's session", async () => {
    const { name, user } = await tenantWithUser(eu);
    const { browser, html } = await onFactorsPage(name, user.username);
    const base = factorsOf(name);
    expect((await browser.post(`${base}/passkey/options`, { ...fieldsOf(html, `${base}/passkey`), csrf: "forged" })).status).toBe(403);
    const signedOut = browserAt();
    const page = await (await signedOut.get(`${authorizeOf(name)}?${(await authorization()).query}`)).text();
    const anonymous = await signedOut.post(`${base}/passkey/options`, { csrf: hiddenOf(page, "csrf") });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ code: "unauthorized" });
  });

  it("M removing a passkey asks a fresh factor, which a passkey answers (its options for the change's step); the last one stays where the tenant requires a factor", async () => {
    const { name, user, passkey } = await personWithPasskey();
    const { browser, html } = await onFactorsPageWithStep(name, user.username, passkey);
    const base = factorsOf(name);
    const id = /name="passkey" value="([0-9a-f-]{36})"/.exec(html)![1]!;
    const confirm = await browser.post(`${base}/remove`, { csrf: hiddenOf(html, "csrf"), type: "passkey", passkey: id });
    expect(confirm.status).toBe(200);
    const confirmHtml = await confirm.text();
    expect(confirmHtml).toContain(escaped(en.secondStep.usePasskey));
    expect(confirmHtml).toContain(escaped(en.factors.confirmText));
    expect(confirm.headers.get("Content-Security-Policy")).toContain(`connect-src ${eu.origin}${base}/passkey/step;`);
    const fields = fieldsOf(confirmHtml, `${base}/remove`);
    expect(fields.passkey).toBe(id);
    const options = await fetchOptions<RequestOptions>(browser, `${base}/passkey/step`, fields);
    expect(options.allowCredentials?.map((credential) => credential.id)).toEqual([passkey.id]);

    // Another key's signature is no confirmation: said, and the step stays.
    const wrong = await browser.post(`${base}/remove`, { ...fields, webauthn_response: JSON.stringify(await passkey.assertion(options, { signingKey: (await newSigningKeys()).privateKey })) });
    expect(wrong.status).toBe(401);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain(escaped(en.refusals.passkey_refused));
    const retry = fieldsOf(wrongHtml, `${base}/remove`);
    const removed = await browser.post(`${base}/remove`, {
      ...retry,
      webauthn_response: JSON.stringify(await passkey.assertion(await fetchOptions<RequestOptions>(browser, `${base}/passkey/step`, retry))),
    });
    expect(removed.status).toBe(303);
    expect(removed.headers.get("Location")).toBe(`${base}?done=removed`);
    expect(await (await browser.get(base)).text()).toContain(escaped(en.factors.none));

    // Where everyone needs a factor, a person whose only factor is one passkey keeps it.
    const kept = await personWithPasskey();
    const mfa = { mode: "all", factors: ["totp", "email", "passkey"], rememberDays: 30, trustProviderMfa: false };
    expect((await patchSettings({ region: eu, tenant: kept.name, auth: await adminAuth(eu, kept.name) }, { mfa })).status).toBe(200);
    const { html: keptHtml } = await onFactorsPageWithStep(kept.name, kept.user.username, kept.passkey);
    expect(keptHtml).toContain(escaped(en.factors.keepOne));
    expect(keptHtml).not.toContain(`action="${factorsOf(kept.name)}/remove"`);
  });
});

describe("a passkey alone on the sign-in page", () => {
  it("M the options and the assertion sign in with no password: the client's code redeems to an ID token whose amr holds hwk and mfa; the browser keeps its session", async () => {
    const { name, user, passkey } = await personWithPasskey();
    const browser = browserAt();
    const { request, response } = await passkeySignIn(browser, name, passkey);
    const tokens = await tokensOf(eu, name, request, response);
    const claims = decodeJwt(tokens.id_token);
    expect(claims.sub).toBe(user.id);
    expect(claims.amr).toEqual(expect.arrayContaining(["hwk", "mfa"]));
    expect(browser.cookie("printid_session")).toBeDefined();
    // The session answers the next request at once, with the same amr.
    const next = await authorization();
    const again = await tokensOf(eu, name, next, await browser.get(`${authorizeOf(name)}?${next.query}`));
    expect(decodeJwt(again.id_token).amr).toEqual(claims.amr);
  });

  it("S a wrong key, a replayed assertion, an unusable answer: the sign-in page says the passkey could not be used, opens no session, never a 5xx", async () => {
    const { name, passkey } = await personWithPasskey();
    const browser = browserAt();
    const wrong = await passkeySignIn(browser, name, passkey, { signingKey: (await newSigningKeys()).privateKey });
    expect(wrong.response.status).toBe(401);
    const wrongHtml = await wrong.response.text();
    expect(wrongHtml).toContain(escaped(en.refusals.passkey_refused));
    expect(wrongHtml).toContain('name="password"');

    const { response, fields, assertion } = await passkeySignIn(browser, name, passkey);
    expect(answerOf(response).get("code")).toBeTruthy();
    const other = browserAt();
    const replayed = await other.post(`${authorizeOf(name)}/passkey`, { ...(await signInPageOf(other, name)).fields, webauthn_response: JSON.stringify(assertion) });
    expect(replayed.status).toBe(401);
    expect(await replayed.text()).toContain(escaped(en.refusals.passkey_refused));
    expect(other.cookie("printid_session")).toBeUndefined();

    for (const unusable of ["", "{", JSON.stringify({ id: "x" })]) {
      const refused = await browser.post(`${authorizeOf(name)}/passkey`, { ...fields, webauthn_response: unusable });
      expect(refused.status, unusable).toBe(400);
      expect(await refused.text()).toContain(escaped(en.refusals.passkey_refused));
    }
  });

  it("T a passkey of another tenant signs nobody in here", async () => {
    const { passkey } = await personWithPasskey();
    const elsewhere = await tenantWithUser(eu);
    const browser = browserAt();
    const { response } = await passkeySignIn(browser, elsewhere.name, passkey);
    expect(response.status).toBe(401);
    expect(await response.text()).toContain(escaped(en.refusals.passkey_refused));
    expect(browser.cookie("printid_session")).toBeUndefined();
  });
});

describe("a passkey as the second step", () => {
  it("M the step's page of a person with a passkey offers \"Use a passkey\": its options name their passkey; the assertion finishes the sign-in with amr [pwd, hwk, mfa]", async () => {
    const { name, user, passkey } = await personWithPasskey();
    const browser = browserAt();
    const request = await authorization();
    const html = await stepPageOf(browser, name, request, user.username);
    expect(html).toContain(escaped(en.secondStep.usePasskey));
    expect(html).toContain(escaped(en.secondStep.passkeyOnly));
    const fields = fieldsOf(html, `${authorizeOf(name)}/mfa`);
    expect(fields).toHaveProperty("webauthn_response", "");
    const options = await fetchOptions<RequestOptions>(browser, `${authorizeOf(name)}/mfa/passkey`, fields);
    expect(options.allowCredentials?.map((credential) => credential.id)).toEqual([passkey.id]);
    const passed = await browser.post(`${authorizeOf(name)}/mfa`, { ...fields, webauthn_response: JSON.stringify(await passkey.assertion(options)) });
    expect(decodeJwt((await tokensOf(eu, name, request, passed)).id_token).amr).toEqual(["pwd", "hwk", "mfa"]);
  });

  it("M S a wrong key is said and the step stays; a step ended, or a person without a passkey, is refused to the script (never a 5xx), and the form's post says what next", async () => {
    const { name, user, passkey } = await personWithPasskey();
    const browser = browserAt();
    const request = await authorization();
    const html = await stepPageOf(browser, name, request, user.username);
    const fields = fieldsOf(html, `${authorizeOf(name)}/mfa`);
    const options = await fetchOptions<RequestOptions>(browser, `${authorizeOf(name)}/mfa/passkey`, fields);
    const wrong = await browser.post(`${authorizeOf(name)}/mfa`, { ...fields, webauthn_response: JSON.stringify(await passkey.assertion(options, { signingKey: (await newSigningKeys()).privateKey })) });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain(escaped(en.refusals.passkey_refused));
    // Posted without an assertion (the script had no options): the page says to try again.
    const empty = await browser.post(`${authorizeOf(name)}/mfa`, fields);
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain(escaped(en.refusals.validation_failed));

    const ended = await browser.post(`${authorizeOf(name)}/mfa/passkey`, { ...fields, mfa_token: "no-such-step" });
    expect(ended.status).toBe(401);
    expect(await ended.json()).toEqual({ code: "invalid_credentials" });

    const withApp = await tenantWithUser(eu);
    await enrolTotp(eu, withApp.name, bearer((await tokensFor(eu, withApp.name, withApp.user.username)).access_token));
    const appBrowser = browserAt();
    const appStep = await stepPageOf(appBrowser, withApp.name, await authorization(), withApp.user.username);
    const noPasskey = await appBrowser.post(`${authorizeOf(withApp.name)}/mfa/passkey`, fieldsOf(appStep, `${authorizeOf(withApp.name)}/mfa`));
    expect(noPasskey.status).toBe(403);

    // The step still answers the right passkey.
    const passed = await browser.post(`${authorizeOf(name)}/mfa`, {
      ...fields,
      webauthn_response: JSON.stringify(await passkey.assertion(await fetchOptions<RequestOptions>(browser, `${authorizeOf(name)}/mfa/passkey`, fields))),
    });
    expect(answerOf(passed).get("code")).toBeTruthy();
  });
});
