// Rule H for the console (/t/{tenant}/console): a form or link no console page sends (no form at all, a
// body of another type or that does not parse, a field sent twice, missing, too long or with a value the
// page never offers) is the client's mistake, so it is a 400 page in the console's own style, saying in
// words what was wrong, and nothing is written: no setting, activation, sign-out, session or sign-in
// attempt. A database outage is a 503 page and an address that is no page a 404 page, not JSON
// documents. Holes closed: 500s for malformed form posts, and refusals that read as codes.
import { describe, expect, it } from "vitest";
import { faultyRegion } from "../support/faults";
import { eu } from "../support/regions";
import { createTenant, uniqueSlug } from "../support/tenants";
import { PASSWORD, seedUser } from "../support/users";
import { Browser, consoleOf, csrfOf, expectSecurityHeaders, page, signedInBrowser } from "./support";

const FORM_REFUSED = "This form could not be used, and nothing was changed. Go back, reload the page and try again.";
const LINK_REFUSED = "This link is not valid: it was cut short or changed. Open the page again from the console&#39;s menu.";
const NOT_A_FORM = "It was not sent the way the console&#39;s pages send forms.";
const REPEATED = "A field was sent more than once.";
const ALTERED = "Some of its fields are not as the console&#39;s page sends them.";
const SEARCH_TOO_LONG = "The search is too long: at most 100 characters.";

/**
 * A tenant with a user awaiting activation, its admin signed in to the console, and the four forms as
 * their pages send them: each would change something if it were accepted.
 */
async function fixture() {
  const { name, body } = await createTenant(eu, uniqueSlug("forms"), {
    settings: { allowRegistration: false, newUsersActiveByDefault: false },
  });
  const pending = await seedUser(eu, body.id, { username: "waiting", active: false, activatedAt: null });
  const browser = await signedInBrowser(name);
  const { csrf } = await page(browser, `${consoleOf(name)}/users`);
  const stranger = new Browser();
  const signInCsrf = csrfOf(await (await stranger.get(`${consoleOf(name)}/sign-in`)).text());
  const forms: { path: string; browser: Browser; fields: [string, string][] }[] = [
    { path: "/settings", browser, fields: [["csrf", csrf], ["allowRegistration", "on"]] },
    { path: `/users/${pending.id}/activate`, browser, fields: [["csrf", csrf], ["status", "pending"]] },
    { path: "/sign-out", browser, fields: [["csrf", csrf]] },
    { path: "/sign-in", browser: stranger, fields: [["csrf", signInCsrf], ["login", "admin"], ["password", PASSWORD]] },
  ];
  return { name, tenantId: body.id, browser, forms };
}

/** Everything a console form could write for the tenant: its settings, users, sessions and sign-in attempts. */
async function snapshot(tenantId: string) {
  const rows = (sql: string) => eu.db.prepare(sql).bind(tenantId).all().then((result) => result.results);
  return {
    tenant: await rows("SELECT * FROM tenants WHERE id = ?"),
    users: await rows("SELECT * FROM users WHERE tenant_id = ? ORDER BY id"),
    sessions: await rows("SELECT * FROM sessions WHERE tenant_id = ? ORDER BY id"),
    attempts: await rows("SELECT * FROM sign_in_attempts WHERE tenant_id = ? ORDER BY id"),
  };
}

/** A 400 page of the console: HTML with its headers and request id, the lead sentence, then these reasons. */
async function expectRefusalPage(response: Response, lead: string, reasons: string[]) {
  expect(response.status).toBe(400);
  expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
  expectSecurityHeaders(response);
  expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  const html = await response.text();
  expect(html).toContain(`<h1>The request is not valid</h1><p role="alert">${lead}</p>`);
  expect([...html.matchAll(/<li>([^<]*)<\/li>/g)].map((item) => item[1])).toEqual(reasons);
}

function post(browser: Browser, path: string, headers: Record<string, string>, body?: BodyInit) {
  return browser.fetch(path, { method: "POST", headers: { Origin: eu.origin, ...headers }, body });
}

const multipart = (fields: [string, string][]) => {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  return form;
};

describe("H a body that is no console form", () => {
  it.each<[string, Record<string, string>, (fields: [string, string][]) => BodyInit | undefined]>([
    ["no body and no content type", {}, () => undefined],
    ["its fields as JSON", { "Content-Type": "application/json" }, (fields) => JSON.stringify(Object.fromEntries(fields))],
    ["its fields as a well-formed multipart form", {}, multipart],
    ["a multipart body that does not parse", { "Content-Type": "multipart/form-data; boundary=x" }, () => "not multipart"],
    ["a multipart type without a boundary", { "Content-Type": "multipart/form-data" }, () => "--x\r\n\r\n"],
    ["its fields as text/plain", { "Content-Type": "text/plain" }, (fields) => new URLSearchParams(fields).toString()],
  ])("H %s is a 400 page on every form, and changes nothing", async (_what, headers, body) => {
    const { name, tenantId, browser, forms } = await fixture();
    const before = await snapshot(tenantId);
    for (const form of forms) {
      const response = await post(form.browser, consoleOf(name) + form.path, headers, body(form.fields));
      await expectRefusalPage(response, FORM_REFUSED, [NOT_A_FORM]);
    }
    expect(await snapshot(tenantId)).toEqual(before);
    await page(browser, `${consoleOf(name)}/users`);
  });
});

describe("H a form with fields no console page sends", () => {
  const urlencoded = { "Content-Type": "application/x-www-form-urlencoded" };

  it("H a field sent twice, even the same token twice, is a 400 page on every form, and changes nothing", async () => {
    const { name, tenantId, browser, forms } = await fixture();
    const before = await snapshot(tenantId);
    for (const form of forms) {
      for (const twice of form.fields) {
        const response = await post(form.browser, consoleOf(name) + form.path, urlencoded, new URLSearchParams([...form.fields, twice]));
        await expectRefusalPage(response, FORM_REFUSED, [REPEATED]);
      }
    }
    expect(await snapshot(tenantId)).toEqual(before);
    await page(browser, `${consoleOf(name)}/users`);
  });

  it.each<[string, string, [string, string][], string[]]>([
    ["a switch that is neither on nor off", "/settings", [["allowRegistration", "yes"]], [ALTERED]],
    ["an unknown status to come back to", "activate", [["status", "deleted"]], [ALTERED]],
    ["a search to come back to that is too long", "activate", [["q", "x".repeat(101)]], [SEARCH_TOO_LONG]],
    ["both", "activate", [["status", "deleted"], ["q", "x".repeat(101)]], [ALTERED, SEARCH_TOO_LONG]],
  ])("H %s is a 400 page that says what is wrong, and changes nothing", async (_what, which, extra, reasons) => {
    const { name, tenantId, forms } = await fixture();
    const form = forms.find((candidate) => candidate.path.endsWith(which))!;
    const before = await snapshot(tenantId);
    const fields = [...form.fields.filter(([field]) => !extra.some(([name]) => name === field)), ...extra];
    const response = await post(form.browser, consoleOf(name) + form.path, urlencoded, new URLSearchParams(fields));
    await expectRefusalPage(response, FORM_REFUSED, reasons);
    expect(await snapshot(tenantId)).toEqual(before);
  });

  it.each<[string, Record<string, string>, string]>([
    ["no login", { password: PASSWORD }, "Enter your username or e-mail."],
    ["a blank login", { login: "   ", password: PASSWORD }, "Enter your username or e-mail."],
    ["no password", { login: "admin" }, "Enter your password."],
    ["neither", {}, "Enter your username or e-mail. Enter your password."],
    ["a login of 321 characters", { login: "a".repeat(321), password: PASSWORD }, "The username or e-mail is too long: at most 320 characters."],
    ["a password of 257 characters", { login: "admin", password: "p".repeat(257) }, "The password is too long: at most 256 characters."],
  ])("H the sign-in form with %s is its page again (400) saying what to fix; no session, no attempt recorded", async (_what, fields, message) => {
    const { name, tenantId, forms } = await fixture();
    const signIn = forms.find((form) => form.path === "/sign-in")!;
    const before = await snapshot(tenantId);
    const response = await signIn.browser.post(`${consoleOf(name)}/sign-in`, { csrf: signIn.fields[0]![1], ...fields });
    expect(response.status).toBe(400);
    expectSecurityHeaders(response);
    const html = await response.text();
    expect(html).toContain(`<p class="msg error" role="alert">${message}</p>`);
    expect(html).toContain('<form method="post"');
    expect(await snapshot(tenantId)).toEqual(before);
  });
});

describe("H a console link no console page makes", () => {
  it.each<[string, string, string[]]>([
    ["a search over 100 characters", `/users?q=${"x".repeat(101)}`, [SEARCH_TOO_LONG]],
    ["an unknown status", "/users?status=deleted", ["Part of it is not as the console made it."]],
    ["a cursor that is no cursor", "/users?cursor=not-a-cursor!", ["Not a cursor this API gave out"]],
    ["an attempts cursor that is no cursor", "/sign-in-attempts?cursor=x", ["Not a cursor this API gave out"]],
  ])("H %s is a 400 page that says the link is not valid", async (_what, path, reasons) => {
    const { name, browser } = await fixture();
    await expectRefusalPage(await browser.get(consoleOf(name) + path), LINK_REFUSED, reasons);
  });
});

describe("H the database failing", () => {
  it("H a D1 outage is a 503 page with Retry-After in the console's style, not a JSON document", async () => {
    const { name } = await fixture();
    const { region } = faultyRegion({ kind: "down" });
    const response = await new Browser(region).get(`${consoleOf(name)}/sign-in`);
    expect(response.status).toBe(503);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(response.headers.get("Retry-After")).toBe("5");
    expectSecurityHeaders(response);
    expect(await response.text()).toContain(
      '<h1>The service is temporarily unavailable</h1><p role="alert">The service is temporarily unavailable: try again in 5 seconds.</p>',
    );
  });
});

describe("H a console address that is no page", () => {
  it.each([
    ["an unknown page", "GET", "/nowhere"],
    ["a form's address opened as a page", "GET", "/sign-out"],
    ["a page's address posted to", "POST", "/users"],
  ])("H %s is a 404 page in the console's style", async (_what, method, path) => {
    const { name, browser } = await fixture();
    const response = await browser.fetch(consoleOf(name) + path, { method, headers: { Origin: eu.origin } });
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expectSecurityHeaders(response);
    expect(await response.text()).toContain('<h1>Not found</h1><p role="alert">There is no such page in the console.</p>');
  });
});
