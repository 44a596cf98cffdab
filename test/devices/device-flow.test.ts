// RFC 8628 at printid (issue 15): a device client of a tenant asks for codes, the person approves or
// denies the user code from the signed-in app, and the device polls /token for its answer. Every poll
// error of §3.5 and the interval rule (with the authorization's clock moved back, not waited for), single
// use, expiry, revocation of the device, and rule T: no code or device of one tenant or region works in
// another. Holes closed: a code collected twice, a guessed code that reveals a live one, a device that
// keeps its tokens after being revoked, a tenant's device approving itself into another tenant.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { adminFixture, memberAuth, type AdminFixture } from "../support/admin";
import { problemOf } from "../support/problems";
import { eu, us } from "../support/regions";
import { bindingsOf } from "../support/shards";
import { expectOAuthError, refresh, sha256Base64url } from "../support/tokens";
import { CLIENT_ID, tokensFor, type TokenResponse } from "../support/users";
import { authorizeDevice, decide, deviceForm, expire, lastPolledAgo, poll, registerDevice, DEVICE_CODE_GRANT, type RegisteredDevice } from "./support";

async function started(f?: AdminFixture) {
  const fixture = f ?? (await adminFixture());
  const device = await registerDevice(fixture);
  const codes = await authorizeDevice(fixture, device);
  return { f: fixture, device, codes };
}

/** The device's poll after the interval has passed. */
async function pollLater(f: AdminFixture, device: RegisteredDevice, deviceCode: string) {
  await lastPolledAgo(f.region, deviceCode, 6);
  return poll(f, device, deviceCode);
}

describe("device authorization (RFC 8628 §3.1–3.2)", () => {
  it("S §3.2 answers a device code, an 8-character user code XXXX-XXXX, where to approve, the tenant's lifetime and the interval", async () => {
    const { f, codes } = await started();
    expect(codes.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const issuer = `${f.region.origin}/t/${f.tenant}`;
    expect(codes).toMatchObject({ verification_uri: `${issuer}/device`, expires_in: 120, interval: 5 });
    expect(codes.verification_uri_complete).toBe(`${issuer}/device?user_code=${codes.user_code}`);
    // Only hashes are kept.
    const row = await f.region.db.prepare("SELECT * FROM device_authorizations WHERE tenant_id = ?").bind(f.tenantId).first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(codes.device_code);
    expect(JSON.stringify(row)).not.toContain(codes.user_code.replace("-", ""));
    expect(row?.scope).toBe("openid");
  });

  it("S §3.2 expires_in is the tenant's deviceCodeSeconds", async () => {
    const f = await adminFixture();
    await f.region.db.prepare("UPDATE tenants SET device_code_seconds = 300 WHERE id = ?").bind(f.tenantId).run();
    const device = await registerDevice(f);
    expect((await authorizeDevice(f, device)).expires_in).toBe(300);
  });

  it("S §3.1 the device authenticates: no secret, a wrong one, or an app's client id is refused", async () => {
    const f = await adminFixture();
    const device = await registerDevice(f);
    await expectOAuthError(await deviceForm(f.region, f.tenant, "device/authorize", { client_id: device.id }, {}), 401, "invalid_client");
    await expectOAuthError(
      await deviceForm(f.region, f.tenant, "device/authorize", { client_id: device.id, client_secret: "not the secret" }, {}),
      401,
      "invalid_client",
    );
    await expectOAuthError(await deviceForm(f.region, f.tenant, "device/authorize", { client_id: CLIENT_ID }, {}), 400, "unauthorized_client");
    // client_secret_post works as well as Basic.
    const posted = await deviceForm(f.region, f.tenant, "device/authorize", { client_id: device.id, client_secret: device.clientSecret }, {});
    expect(posted.status).toBe(200);
  });

  it("S §3.1 an unsupported scope is invalid_scope", async () => {
    const f = await adminFixture();
    const device = await registerDevice(f);
    await expectOAuthError(await deviceForm(f.region, f.tenant, "device/authorize", { scope: "openid admin" }, device.auth), 400, "invalid_scope");
  });
});

describe("polling (RFC 8628 §3.4–3.5)", () => {
  it("S §3.5 authorization_pending until the person answers", async () => {
    const { f, device, codes } = await started();
    await expectOAuthError(await poll(f, device, codes.device_code), 400, "authorization_pending");
    await expectOAuthError(await pollLater(f, device, codes.device_code), 400, "authorization_pending");
  });

  it("S §3.5 slow_down for a poll sooner than the interval, which grows by 5 seconds for every later poll", async () => {
    const { f, device, codes } = await started();
    await expectOAuthError(await poll(f, device, codes.device_code), 400, "authorization_pending");
    await expectOAuthError(await poll(f, device, codes.device_code), 400, "slow_down");
    // 6 s later would have done before; the interval is 10 s now.
    await lastPolledAgo(f.region, codes.device_code, 6);
    await expectOAuthError(await poll(f, device, codes.device_code), 400, "slow_down");
    await lastPolledAgo(f.region, codes.device_code, 16);
    await expectOAuthError(await poll(f, device, codes.device_code), 400, "authorization_pending");
  });

  it("P §3.3 approved from the app: the device gets tokens for the person, once; the next poll is invalid_grant", async () => {
    const { f, device, codes } = await started();
    const person = await memberAuth(f);
    const approved = await decide(f, "approve", codes.user_code, person);
    expect(approved.status).toBe(200);
    expect(await approved.json()).toEqual({ name: "Lobby printer", kind: "printer" });
    const collected = await pollLater(f, device, codes.device_code);
    expect(collected.status, await collected.clone().text()).toBe(200);
    expect(collected.headers.get("Cache-Control")).toBe("no-store");
    const tokens = (await collected.json()) as TokenResponse;
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: device.id, scope: "openid" });
    expect(tokens.id_token).toEqual(expect.any(String));
    await expectOAuthError(await pollLater(f, device, codes.device_code), 400, "invalid_grant");
    // The device refreshes with its own credentials.
    const refreshed = await deviceForm(f.region, f.tenant, "token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token }, device.auth);
    expect(refreshed.status, await refreshed.clone().text()).toBe(200);
  });

  it("P the device's access token is rule P's like an app's: /me and UserInfo answer it, until the device is revoked", async () => {
    const { f, device, codes } = await started();
    await decide(f, "approve", codes.user_code, await memberAuth(f));
    const tokens = (await (await pollLater(f, device, codes.device_code)).json()) as TokenResponse;
    const bearer = { Authorization: `Bearer ${tokens.access_token}` };
    expect((await f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer })).status).toBe(200);
    expect((await f.region.fetch(`/t/${f.tenant}/userinfo`, { headers: bearer })).status).toBe(200);
    expect((await f.region.fetch(`/t/${f.tenant}/admin/devices/${device.id}/revoke`, { method: "POST", headers: f.auth })).status).toBe(204);
    expect((await f.region.fetch(`/t/${f.tenant}/me`, { headers: bearer })).status).toBe(401);
  });

  it("S §3.5 denied from the app: access_denied", async () => {
    const { f, device, codes } = await started();
    expect((await decide(f, "deny", codes.user_code, f.auth)).status).toBe(200);
    await expectOAuthError(await pollLater(f, device, codes.device_code), 400, "access_denied");
    // A decided code cannot be decided again.
    await problemOf(await decide(f, "approve", codes.user_code, f.auth), 404, "not_found");
  });

  it("S §3.5 expired_token once the code has expired, approved or not; its user code can no longer be approved", async () => {
    const { f, device, codes } = await started();
    await expire(f.region, codes.device_code);
    await problemOf(await decide(f, "approve", codes.user_code, f.auth), 404, "not_found");
    await expectOAuthError(await poll(f, device, codes.device_code), 400, "expired_token");
  });

  it("S §3.5 an unknown device code, or another device's, is invalid_grant; the device_code parameter is required", async () => {
    const { f, device, codes } = await started();
    const other = await registerDevice(f, { name: "Desk client", kind: "desktop" });
    await expectOAuthError(await poll(f, device, "x".repeat(43)), 400, "invalid_grant");
    await expectOAuthError(await poll(f, other, codes.device_code), 400, "invalid_grant");
    await expectOAuthError(await deviceForm(f.region, f.tenant, "token", { grant_type: DEVICE_CODE_GRANT }, device.auth), 400, "invalid_request");
  });

  it("S §3.4 an app's client may not use the device_code grant", async () => {
    const { f, codes } = await started();
    await expectOAuthError(
      await deviceForm(f.region, f.tenant, "token", { grant_type: DEVICE_CODE_GRANT, device_code: codes.device_code, client_id: CLIENT_ID }, {}),
      400,
      "unauthorized_client",
    );
  });
});

describe("the person's side (RFC 8628 §3.3)", () => {
  it("P §3.3 the app shows what asks before approving; an unknown code is answered like an expired one", async () => {
    const { f, codes } = await started();
    const pending = await f.region.fetch(`/t/${f.tenant}/device/pending?userCode=${codes.user_code.toLowerCase()}`, { headers: f.auth });
    expect(await pending.json()).toEqual({ name: "Lobby printer", kind: "printer" });
    const unknown = await problemOf(await decide(f, "approve", "BBBB-BBBB", f.auth), 404, "not_found");
    await expire(f.region, codes.device_code);
    const expired = await problemOf(await decide(f, "approve", codes.user_code, f.auth), 404, "not_found");
    expect(unknown.detail).toBe(expired.detail);
  });

  it("P §3.3 approval needs a signed-in, active person", async () => {
    const { f, codes } = await started();
    await problemOf(await decide(f, "approve", codes.user_code, {}), 401, "unauthorized");
  });

  it("P §5.1 a person deactivated after approving gets the device nothing: invalid_grant", async () => {
    const { f, device, codes } = await started();
    const person = await memberAuth(f);
    expect((await decide(f, "approve", codes.user_code, person)).status).toBe(200);
    await f.region.db.prepare("UPDATE users SET active = 0 WHERE tenant_id = ? AND username = 'member'").bind(f.tenantId).run();
    await expectOAuthError(await pollLater(f, device, codes.device_code), 400, "invalid_grant");
  });
});

describe("device clients (admin API)", () => {
  it("P the list is paged newest first with a cursor; a cursor it did not give out is 400", async () => {
    const f = await adminFixture();
    const names = [];
    for (const n of [1, 2, 3]) {
      const { id } = await registerDevice(f, { name: `Printer ${n}`, kind: "printer" });
      // Registered a second apart: two in the same millisecond would be ordered by id instead.
      await f.region.db.prepare("UPDATE device_clients SET created_at = ? WHERE id = ?").bind(Date.now() - (10 - n) * 1000, id).run();
      names.push(id);
    }
    const page = async (query: string) => (await (await f.region.fetch(`/t/${f.tenant}/admin/devices${query}`, { headers: f.auth })).json()) as { items: { id: string }[]; nextCursor: string | null };
    const first = await page("?limit=2");
    expect(first.items.map((device) => device.id)).toEqual([names[2], names[1]]);
    const second = await page(`?limit=2&cursor=${first.nextCursor}`);
    expect(second).toEqual({ items: [expect.objectContaining({ id: names[0] })], nextCursor: null });
    await problemOf(await f.region.fetch(`/t/${f.tenant}/admin/devices?cursor=nonsense`, { headers: f.auth }), 400, "validation_failed");
  });

  it("P the admin registers, lists and revokes devices; a member may not", async () => {
    const f = await adminFixture();
    const device = await registerDevice(f, { name: "Panel 3", kind: "panel" });
    const listed = await f.region.fetch(`/t/${f.tenant}/admin/devices`, { headers: f.auth });
    const { items } = (await listed.json()) as { items: Record<string, unknown>[] };
    expect(items).toEqual([{ id: device.id, name: "Panel 3", kind: "panel", authMethod: "client_secret", createdAt: expect.any(String), lastSeenAt: null, revokedAt: null }]);
    expect(JSON.stringify(items)).not.toContain(device.clientSecret);
    const member = await memberAuth(f);
    await problemOf(await f.region.fetch(`/t/${f.tenant}/admin/devices`, { headers: member }), 403, "forbidden");
    const revoked = await f.region.fetch(`/t/${f.tenant}/admin/devices/${device.id}/revoke`, { method: "POST", headers: f.auth });
    expect(revoked.status).toBe(204);
  });

  it("P §5.1 a revoked device is invalid_client, and its sessions end: the refresh token and the access token alike", async () => {
    const { f, device, codes } = await started();
    expect((await decide(f, "approve", codes.user_code, f.auth)).status).toBe(200);
    const tokens = (await (await pollLater(f, device, codes.device_code)).json()) as TokenResponse;
    const listed = (await (await f.region.fetch(`/t/${f.tenant}/admin/devices`, { headers: f.auth })).json()) as { items: { lastSeenAt: string | null }[] };
    expect(listed.items[0]?.lastSeenAt).toEqual(expect.any(String));

    await f.region.fetch(`/t/${f.tenant}/admin/devices/${device.id}/revoke`, { method: "POST", headers: f.auth });
    await expectOAuthError(await deviceForm(f.region, f.tenant, "device/authorize", {}, device.auth), 401, "invalid_client");
    await expectOAuthError(
      await deviceForm(f.region, f.tenant, "token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token }, device.auth),
      401,
      "invalid_client",
    );
    const session = await f.region.db
      .prepare("SELECT revoked_at FROM sessions WHERE id = ?")
      .bind(decodeJwt(tokens.access_token).sid as string)
      .first<{ revoked_at: number | null }>();
    expect(session?.revoked_at).toEqual(expect.any(Number));
  });

  it("P a device's pending code cannot be approved once the device is revoked", async () => {
    const { f, device, codes } = await started();
    await f.region.fetch(`/t/${f.tenant}/admin/devices/${device.id}/revoke`, { method: "POST", headers: f.auth });
    await problemOf(await decide(f, "approve", codes.user_code, f.auth), 404, "not_found");
  });
});

describe("rule T", () => {
  it("T §5 a device of one tenant is unknown in another, and its user code approves nothing there", async () => {
    const { f, device, codes } = await started();
    const other = await adminFixture();
    await expectOAuthError(await deviceForm(other.region, other.tenant, "device/authorize", {}, device.auth), 401, "invalid_client");
    await expectOAuthError(await poll(other, device, codes.device_code), 401, "invalid_client");
    await problemOf(await decide(other, "approve", codes.user_code, other.auth), 404, "not_found");
    // Still pending at home.
    await expectOAuthError(await pollLater(f, device, codes.device_code), 400, "authorization_pending");
  });

  it("T §5 a device and its codes do nothing in the other region", async () => {
    const { f, device, codes } = await started();
    // The tenant's name is unknown in us; a us tenant does not know the device nor its code.
    const inUs = await adminFixture({}, us);
    await expectOAuthError(await deviceForm(us, f.tenant, "device/authorize", {}, device.auth), 400, "invalid_request");
    await expectOAuthError(await deviceForm(us, inUs.tenant, "device/authorize", {}, device.auth), 401, "invalid_client");
    await problemOf(await decide(inUs, "approve", codes.user_code, inUs.auth), 404, "not_found");
  });

  it("T an app's refresh token is not a device's to refresh", async () => {
    const { f, device } = await started();
    const app = await tokensFor(f.region, f.tenant, "admin");
    await expectOAuthError(
      await deviceForm(f.region, f.tenant, "token", { grant_type: "refresh_token", refresh_token: app.refresh_token }, device.auth),
      400,
      "invalid_grant",
    );
    // …and the app's own refresh still works.
    expect((await refresh(f.region, f.tenant, app.refresh_token)).status).toBe(200);
  });
});

describe("clean-up", () => {
  it("S the daily clean-up deletes authorizations an hour past their expiry, and keeps the others", async () => {
    const { f, codes } = await started();
    const fresh = await authorizeDevice(f, await registerDevice(f, { name: "Panel", kind: "panel" }));
    await f.region.db
      .prepare("UPDATE device_authorizations SET expires_at = ? WHERE tenant_id = ? AND device_code_hash = ?")
      .bind(Date.now() - 2 * 3600_000, f.tenantId, await sha256Base64url(codes.device_code))
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), bindingsOf(eu), ctx);
    await waitOnExecutionContext(ctx);
    const left = await f.region.db
      .prepare("SELECT device_code_hash FROM device_authorizations WHERE tenant_id = ?")
      .bind(f.tenantId)
      .all<{ device_code_hash: string }>();
    expect(left.results.map((row) => row.device_code_hash)).toEqual([await sha256Base64url(fresh.device_code)]);
  });
});
