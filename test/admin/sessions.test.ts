// An admin and a user's sessions (issue 14 point 5): GET /t/{tenant}/admin/users/{id}/sessions, DELETE
// …/sessions/{sessionId}, POST …/sign-out-everywhere. Rule P: admins of this tenant only; rule T: another
// tenant's user or session is 404 and untouched.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { adminFixture, memberAuth, type AdminFixture } from "../support/admin";
import { problemOf } from "../support/problems";
import { refresh } from "../support/tokens";
import { fetchMe, PASSWORD, seedUser, signIn, tokensFor, type TokenResponse } from "../support/users";

const sidOf = (tokens: TokenResponse) => decodeJwt(tokens.access_token).sid as string;

/** The fixture's tenant with a member signed in twice (the second time from a known address and browser). */
async function withMember(f: AdminFixture) {
  const member = await seedUser(f.region, f.tenantId);
  const first = await tokensFor(f.region, f.tenant, member.username);
  const response = await signIn(f.region, f.tenant, { login: member.username, password: PASSWORD }, { "CF-Connecting-IP": "192.0.2.9", "User-Agent": "Desk/2" });
  return { member, first, second: (await response.json()) as TokenResponse };
}

const userSessions = (f: AdminFixture, userId: string, auth = f.auth) => f.region.fetch(`/t/${f.tenant}/admin/users/${userId}/sessions`, { headers: auth });
const endUserSession = (f: AdminFixture, userId: string, sessionId: string, auth = f.auth) =>
  f.region.fetch(`/t/${f.tenant}/admin/users/${userId}/sessions/${sessionId}`, { method: "DELETE", headers: auth });
const signOutEverywhere = (f: AdminFixture, userId: string, auth = f.auth) =>
  f.region.fetch(`/t/${f.tenant}/admin/users/${userId}/sign-out-everywhere`, { method: "POST", headers: auth });

describe("GET /t/{tenant}/admin/users/{id}/sessions", () => {
  it("P lists the user's live sessions, newest first, with client, method, IP and user agent; never stored by a cache", async () => {
    const f = await adminFixture();
    const { member, first, second } = await withMember(f);
    const response = await userSessions(f, member.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const { items } = (await response.json()) as { items: Record<string, unknown>[] };
    expect(items.map((item) => item.id)).toEqual([sidOf(second), sidOf(first)]);
    expect(items[0]).toMatchObject({ client: "printid-mobile", method: "password", ip: "192.0.2.9", userAgent: "Desk/2", current: false });
  });

  it("P the admin's own list marks the session asking as current", async () => {
    const f = await adminFixture();
    const { items } = (await (await userSessions(f, f.adminId)).json()) as { items: { current: boolean }[] };
    expect(items.filter((item) => item.current)).toHaveLength(1);
  });

  it("P a member who is no admin is 403 forbidden, at each route, and ends nothing", async () => {
    const f = await adminFixture();
    const { member, first } = await withMember(f);
    const auth = await memberAuth(f);
    await problemOf(await userSessions(f, member.id, auth), 403, "forbidden");
    await problemOf(await endUserSession(f, member.id, sidOf(first), auth), 403, "forbidden");
    await problemOf(await signOutEverywhere(f, member.id, auth), 403, "forbidden");
    expect((await fetchMe(f.region, f.tenant, first.access_token)).status).toBe(200);
  });

  it("T a user of another tenant is 404 not_found", async () => {
    const [a, b] = [await adminFixture(), await adminFixture()];
    const { member } = await withMember(b);
    await problemOf(await userSessions(a, member.id), 404, "not_found");
    await problemOf(await userSessions(a, crypto.randomUUID()), 404, "not_found");
  });
});

describe("DELETE /t/{tenant}/admin/users/{id}/sessions/{sessionId}", () => {
  it("P ends that session at once, and no other", async () => {
    const f = await adminFixture();
    const { member, first, second } = await withMember(f);
    expect((await endUserSession(f, member.id, sidOf(first))).status).toBe(204);
    await problemOf(await fetchMe(f.region, f.tenant, first.access_token), 401, "unauthorized");
    expect((await refresh(f.region, f.tenant, first.refresh_token)).status).toBe(400);
    expect((await fetchMe(f.region, f.tenant, second.access_token)).status).toBe(200);
    // Idempotent: a retry is 204 again.
    expect((await endUserSession(f, member.id, sidOf(first))).status).toBe(204);
  });

  it("T a session of another user, or of another tenant, is 404 not_found and lives on", async () => {
    const [a, b] = [await adminFixture(), await adminFixture()];
    const mine = await withMember(a);
    const theirs = await withMember(b);
    const other = await seedUser(a.region, a.tenantId);
    await problemOf(await endUserSession(a, other.id, sidOf(mine.first)), 404, "not_found");
    await problemOf(await endUserSession(a, theirs.member.id, sidOf(theirs.first)), 404, "not_found");
    await problemOf(await endUserSession(a, mine.member.id, sidOf(theirs.first)), 404, "not_found");
    expect((await fetchMe(a.region, a.tenant, mine.first.access_token)).status).toBe(200);
    expect((await fetchMe(b.region, b.tenant, theirs.first.access_token)).status).toBe(200);
  });
});

describe("POST /t/{tenant}/admin/users/{id}/sign-out-everywhere", () => {
  it("P ends every session of the user, and nobody else's", async () => {
    const f = await adminFixture();
    const { member, first, second } = await withMember(f);
    expect((await signOutEverywhere(f, member.id)).status).toBe(204);
    for (const tokens of [first, second]) await problemOf(await fetchMe(f.region, f.tenant, tokens.access_token), 401, "unauthorized");
    expect(((await (await userSessions(f, member.id)).json()) as { items: unknown[] }).items).toEqual([]);
    expect((await fetchMe(f.region, f.tenant, f.auth.Authorization!.slice("Bearer ".length))).status).toBe(200);
    // The user signs in again as before.
    expect((await tokensFor(f.region, f.tenant, member.username)).access_token).toBeTruthy();
  });

  it("T a user of another tenant is 404 not_found, and keeps their sessions", async () => {
    const [a, b] = [await adminFixture(), await adminFixture()];
    const { member, first } = await withMember(b);
    await problemOf(await signOutEverywhere(a, member.id), 404, "not_found");
    expect((await fetchMe(b.region, b.tenant, first.access_token)).status).toBe(200);
  });
});
