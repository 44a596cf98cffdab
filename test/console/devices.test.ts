// The console's Devices page (issue 15, point 1): a tenant's printers, panels and desktop print clients, each
// with its kind, client id, when it was created and last seen, and whether it is active or since when revoked,
// newest first (the newest 200, then a note); a form registers one, whose client id and secret the answer shows
// once (in that answer only: no redirect, no cookie) and which then authenticates at device/authorize; a bad
// name is said on the page (400), as typed. Revoke asks first on a page of its own, then the device's
// credentials are invalid_client and its sessions end. Rule P: an admin who lost the role is refused and
// changes nothing; rule T: another tenant's device is neither listed nor revocable here; rule S: without the
// session's CSRF token nothing happens.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { authorizeDevice, decide, deviceForm, lastPolledAgo, poll, registerDevice, type RegisteredDevice } from "../devices/support";
import { adminFixture, type AdminFixture } from "../support/admin";
import { eu } from "../support/regions";
import { countOf } from "../support/rows";
import { basicAuth, expectOAuthError } from "../support/tokens";
import { seedUser, type TokenResponse } from "../support/users";
import { Browser, consoleOf, expectSecurityHeaders, locationOf, page, signedInBrowser } from "./support";

/** A tenant with its admin signed in to the console, on the Devices page. */
async function onDevicesPage() {
  const f = await adminFixture();
  const browser = await signedInBrowser(f.tenant);
  const devices = `${consoleOf(f.tenant)}/devices`;
  return { f, browser, devices, ...(await page(browser, devices)) };
}

/** The rows of the devices table: the name, then each cell's text by its column. */
function deviceRows(html: string): Record<string, string>[] {
  return [...html.matchAll(/<tr><th scope="row"[^>]*>(.*?)<\/th>(.*?)<\/tr>/g)].map(([, name, cells]) => ({
    Name: name!,
    ...Object.fromEntries([...cells!.matchAll(/<td data-label="([^"]+)"[^>]*>(.*?)<\/td>/g)].map((cell) => [cell[1], cell[2]!.replace(/<[^>]+>/g, "")])),
  }));
}

/** The client id and secret a registration's answer shows. */
function credentialsOf(html: string): RegisteredDevice {
  const shown = /<dt>Client id<\/dt><dd><code>([^<]+)<\/code><\/dd><dt>Client secret<\/dt><dd><code>([^<]+)<\/code>/.exec(html);
  if (!shown) throw new Error(`no credentials in:\n${html}`);
  const [, id, clientSecret] = shown as unknown as [string, string, string];
  return { id, clientSecret, auth: basicAuth(id, clientSecret) };
}

const deviceCount = (f: AdminFixture) => countOf(eu, "SELECT count(*) AS n FROM device_clients WHERE tenant_id = ?", f.tenantId);

const revokedAt = async (id: string) =>
  (await eu.db.prepare("SELECT revoked_at FROM device_clients WHERE id = ?").bind(id).first<{ revoked_at: number | null }>())?.revoked_at;

const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/;

describe("the console's Devices page", () => {
  it("D lists the tenant's devices newest first: name, kind, client id, created, last seen (never until it authenticates), active or revoked since when; the menu links to it", async () => {
    const f = await adminFixture();
    const lobby = await registerDevice(f, { name: "Lobby printer", kind: "printer" });
    await authorizeDevice(f, lobby);
    const panel = await registerDevice(f, { name: "Panel 3", kind: "panel" });
    expect((await eu.fetch(`/t/${f.tenant}/admin/devices/${panel.id}/revoke`, { method: "POST", headers: f.auth })).status).toBe(204);
    const desk = await registerDevice(f, { name: "Desk", kind: "desktop" });

    const browser = await signedInBrowser(f.tenant);
    const devices = `${consoleOf(f.tenant)}/devices`;
    const { html } = await page(browser, devices);
    const rows = deviceRows(html);
    expect(rows.map((row) => row.Name)).toEqual(["Desk", "Panel 3", "Lobby printer"]);
    expect(rows[0]).toMatchObject({ Kind: "Desktop print client", "Client id": desk.id, "Last seen": "never", Status: "Active" });
    expect(rows[1]).toMatchObject({ Kind: "Panel", "Client id": panel.id, "Last seen": "never" });
    expect(rows[1]!.Status).toMatch(/^Revoked \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(rows[2]).toMatchObject({ Kind: "Printer", "Client id": lobby.id, Status: "Active" });
    expect(rows[2]!["Last seen"]).toMatch(TIME);
    for (const row of rows) expect(row.Created).toMatch(TIME);
    // Revoke is offered for the active ones only; the menu marks the page.
    expect(html).toContain(`href="${devices}/${lobby.id}/revoke"`);
    expect(html).not.toContain(`href="${devices}/${panel.id}/revoke"`);
    expect(html).toContain(`<a href="${devices}" aria-current="page">Devices</a>`);
    expect((await page(browser, `${consoleOf(f.tenant)}/users`)).html).toContain(`<a href="${devices}">Devices</a>`);
  });

  it("D lists the newest 200, and says how many there are and that the admin API lists them all", async () => {
    const { f, browser, devices } = await onDevicesPage();
    await eu.db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 201)
         INSERT INTO device_clients (id, tenant_id, name, kind, secret_hash, created_at)
         SELECT printf('00000000-0000-4000-8000-%012d', i), ?, 'Printer ' || i, 'printer', '', ? + i FROM n`,
      )
      .bind(f.tenantId, Date.now())
      .run();
    const { html } = await page(browser, devices);
    const rows = deviceRows(html);
    expect(rows).toHaveLength(200);
    expect([rows[0]!.Name, rows.at(-1)!.Name]).toEqual(["Printer 201", "Printer 2"]);
    expect(html).toContain(`The newest 200 devices; the admin API (GET /t/${f.tenant}/admin/devices) pages through them all.`);
  });
});

describe("registering a device", () => {
  it("D the answer shows the new device's client id and secret once (no redirect, no cookie, not cached), and the secret works at device/authorize", async () => {
    const { f, browser, devices, csrf } = await onDevicesPage();
    const response = await browser.post(devices, { csrf, name: "  Printer 2F  ", kind: "printer" });
    expect(response.status).toBe(201);
    expect(response.headers.get("Location")).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
    expectSecurityHeaders(response);
    const html = await response.text();
    expect(html).toContain("Printer 2F is registered.");
    expect(html).toContain("The secret will not be shown again");
    const device = credentialsOf(html);
    expect(deviceRows(html)[0]).toMatchObject({ Name: "Printer 2F", Kind: "Printer", "Client id": device.id, Status: "Active" });

    await authorizeDevice(f, device);
    const again = await page(browser, devices);
    expect(again.html).toContain(device.id);
    expect(again.html).not.toContain(device.clientSecret);
    expect(deviceRows(again.html)[0]!["Last seen"]).toMatch(TIME);
  });

  it.each([
    ["D an empty name", { name: "", kind: "printer" }, "Name: 1 to 100 characters."],
    ["D a name of spaces only", { name: "   ", kind: "panel" }, "Name: 1 to 100 characters."],
    ["D a name over 100 characters", { name: "x".repeat(101), kind: "desktop" }, "Name: 1 to 100 characters."],
    ["S a kind the form does not offer", { name: "Scanner", kind: "scanner" }, "Some of its fields are not as the console's page sends them."],
  ])("%s is refused on the page (400), as typed, and nothing is registered", async (_, fields, reason) => {
    const { f, browser, devices, csrf } = await onDevicesPage();
    const response = await browser.post(devices, { csrf, ...fields });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain(`<p class="msg error" role="alert">No device was registered. ${reason.replace("'", "&#39;")}</p>`);
    expect(html).toContain(`name="name" value="${fields.name}"`);
    expect(html).not.toContain("Client secret");
    expect(await deviceCount(f)).toBe(0);
  });
});

describe("revoking a device", () => {
  it("D a device revoked in the console stops at once: its page asks first, then its credentials are invalid_client and its sessions end", async () => {
    const { f, browser, devices } = await onDevicesPage();
    const device = await registerDevice(f, { name: "Lobby printer", kind: "printer" });
    const codes = await authorizeDevice(f, device);
    expect((await decide(f, "approve", codes.user_code, f.auth)).status).toBe(200);
    await lastPolledAgo(eu, codes.device_code, 60);
    const tokens = (await (await poll(f, device, codes.device_code)).json()) as TokenResponse;

    const confirm = await page(browser, `${devices}/${device.id}/revoke`);
    expect(confirm.html).toContain("This cannot be undone");
    expect(confirm.html).toContain(`<form method="post" action="${devices}/${device.id}/revoke"`);
    expect(await revokedAt(device.id)).toBeNull();
    const response = await browser.post(`${devices}/${device.id}/revoke`, { csrf: confirm.csrf });
    expect(locationOf(response)).toBe(`${devices}?revoked=${device.id}`);

    const { html } = await page(browser, locationOf(response));
    expect(html).toContain("Lobby printer is revoked: its credentials no longer work, and every session it held has ended.");
    expect(deviceRows(html)[0]!.Status).toMatch(/^Revoked /);
    await expectOAuthError(await deviceForm(eu, f.tenant, "device/authorize", {}, device.auth), 401, "invalid_client");
    const session = await eu.db.prepare("SELECT revoked_at FROM sessions WHERE id = ?").bind(decodeJwt(tokens.access_token).sid as string).first<{ revoked_at: number | null }>();
    expect(session?.revoked_at).toEqual(expect.any(Number));
    expect((await page(browser, `${devices}/${device.id}/revoke`)).html).toContain("Lobby printer was revoked <time");
  });

  it("T a device of another tenant is neither listed nor revocable through this tenant's console: 404 pages, and it still works", async () => {
    const { browser, devices, csrf } = await onDevicesPage();
    const other = await adminFixture();
    const theirs = await registerDevice(other, { name: "Their printer", kind: "printer" });
    expect((await page(browser, devices)).html).not.toContain(theirs.id);
    for (const response of [await browser.get(`${devices}/${theirs.id}/revoke`), await browser.post(`${devices}/${theirs.id}/revoke`, { csrf })]) {
      expect(response.status).toBe(404);
      expect(await response.text()).toContain("There is no such device in this tenant.");
    }
    expect(await revokedAt(theirs.id)).toBeNull();
    await authorizeDevice(other, theirs);
  });
});

describe("who may use the Devices page", () => {
  it.each(["register", "revoke"] as const)("P an admin who has lost the role cannot %s a device (403 page) and nothing changes", async (action) => {
    const f = await adminFixture();
    const device = await registerDevice(f);
    const other = await seedUser(eu, f.tenantId, { roles: ["admin"] });
    const browser = await signedInBrowser(f.tenant, other.username, other.password);
    const devices = `${consoleOf(f.tenant)}/devices`;
    const { csrf } = await page(browser, devices);
    await eu.db.prepare("UPDATE users SET roles = '[]' WHERE id = ?").bind(other.id).run();
    const response =
      action === "register"
        ? await browser.post(devices, { csrf, name: "Sneaky", kind: "printer" })
        : await browser.post(`${devices}/${device.id}/revoke`, { csrf });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("The console is for administrators.");
    expect(await deviceCount(f)).toBe(1);
    expect(await revokedAt(device.id)).toBeNull();
  });

  it("P without a console session, the page and its forms send the browser to the sign-in page, and nothing changes", async () => {
    const f = await adminFixture();
    const device = await registerDevice(f);
    const browser = new Browser(eu);
    const devices = `${consoleOf(f.tenant)}/devices`;
    for (const response of [
      await browser.get(devices),
      await browser.post(devices, { name: "Sneaky", kind: "printer" }),
      await browser.post(`${devices}/${device.id}/revoke`, {}),
    ]) {
      expect(locationOf(response)).toBe(`${consoleOf(f.tenant)}/sign-in`);
    }
    expect(await deviceCount(f)).toBe(1);
    expect(await revokedAt(device.id)).toBeNull();
  });

  it("S without this session's CSRF token, no device is registered or revoked (403 page)", async () => {
    const { f, browser, devices } = await onDevicesPage();
    const device = await registerDevice(f);
    for (const response of [
      await browser.post(devices, { csrf: "not-the-token", name: "Forged", kind: "printer" }),
      await browser.post(`${devices}/${device.id}/revoke`, {}),
    ]) {
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("This form was refused");
    }
    expect(await deviceCount(f)).toBe(1);
    expect(await revokedAt(device.id)).toBeNull();
  });
});
