// Rule S for the admin API (/t/{tenant}/admin/*): its answers hold people's names, e-mails and IP
// addresses, so none may be kept by a browser's or a proxy's cache: every answer, success or refusal,
// carries `Cache-Control: no-store`. The routes are read from /openapi.json, so a new admin route is
// covered (or this test names it) the day it is added. Closes the hole of personal data left in caches.
import { describe, expect, it } from "vitest";
import { adminAuth } from "../support/admin";
import { faultyRegion } from "../support/faults";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { createTenant, uniqueSlug } from "../support/tenants";
import { bearer, seedUser, tokensFor } from "../support/users";

/** Each admin operation, with a body it accepts and the status an admin gets for it. */
const operations: Record<string, { body?: unknown; status: number }> = {
  "GET /t/{tenant}/admin/settings": { status: 200 },
  "PATCH /t/{tenant}/admin/settings": { body: { allowRegistration: true }, status: 200 },
  "GET /t/{tenant}/admin/users": { status: 200 },
  "POST /t/{tenant}/admin/users": {
    body: { username: "created", email: "created@example.com", firstName: "Cre", lastName: "Ated" },
    status: 201,
  },
  "GET /t/{tenant}/admin/users/{id}": { status: 200 },
  "PATCH /t/{tenant}/admin/users/{id}": { body: { firstName: "Renamed" }, status: 200 },
  // The member has a password, so no invitation (400): a sent one's 202 is in accounts/invitations.
  "POST /t/{tenant}/admin/users/{id}/invitation": { status: 400 },
  "GET /t/{tenant}/admin/users/{id}/sessions": { status: 200 },
  // The member's session of the fixture is not named: the admin's answer is 404 (a 204 is in admin/sessions).
  "DELETE /t/{tenant}/admin/users/{id}/sessions/{sessionId}": { status: 404 },
  "POST /t/{tenant}/admin/users/{id}/sign-out-everywhere": { status: 204 },
  "GET /t/{tenant}/admin/sign-in-attempts": { status: 200 },
  "GET /t/{tenant}/admin/sign-in-attempts/archives": { status: 200 },
  // No part is archived under this day: the admin's answer is 404 (a download's 200 is no-store in
  // admin/attempt-archives).
  "GET /t/{tenant}/admin/sign-in-attempts/archives/{day}/{part}": { status: 404 },
  "GET /t/{tenant}/admin/devices": { status: 200 },
  "POST /t/{tenant}/admin/devices": { body: { name: "Lobby printer", kind: "printer" }, status: 201 },
  // The user's id names no device: the admin's answer is 404 (a 204 is in devices/device-clients).
  "POST /t/{tenant}/admin/devices/{id}/revoke": { status: 404 },
  // The member has no confirmed address: the PIN is answered to the admin (a mailed one is in panel/pins).
  "POST /t/{tenant}/admin/users/{id}/pin": { status: 200 },
  "GET /t/{tenant}/admin/users/{id}/factors": { status: 200 },
  "DELETE /t/{tenant}/admin/users/{id}/factors": { status: 204 },
  "GET /t/{tenant}/admin/users/{id}/cards": { status: 200 },
  "POST /t/{tenant}/admin/users/{id}/cards": { body: { number: "NOSTORE1" }, status: 201 },
  // The card id names no card: the admin's answer is 404 (a 204 is in panel/cards).
  "DELETE /t/{tenant}/admin/users/{id}/cards/{cardId}": { status: 404 },
};

async function adminOperations(): Promise<string[]> {
  const doc = (await (await eu.fetch("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith("/t/{tenant}/admin"))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
}

async function fixture() {
  const { name, body } = await createTenant(eu, uniqueSlug("nostore"));
  const member = await seedUser(eu, body.id, { username: "member" });
  return {
    name,
    member,
    admin: await adminAuth(eu, name),
    nonAdmin: bearer((await tokensFor(eu, name, "member")).access_token),
  };
}

function call(operation: string, tenant: string, id: string, auth: Record<string, string>, fetch = eu.fetch) {
  const [method = "", path = ""] = operation.split(" ");
  const { body } = operations[operation] ?? {};
  return fetch(path.replace("{tenant}", tenant).replace("{id}", id).replace("{sessionId}", crypto.randomUUID()).replace("{cardId}", crypto.randomUUID()).replace("{day}", "2020-01-01").replace("{part}", "1"), {
    method,
    headers: body === undefined ? auth : { ...auth, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("S admin answers are never stored", () => {
  it("S every admin operation of /openapi.json is one this test knows", async () => {
    expect((await adminOperations()).sort()).toEqual(Object.keys(operations).sort());
  });

  it.each(Object.keys(operations))("S %s: the admin's answer, success included, is Cache-Control: no-store", async (operation) => {
    const f = await fixture();
    const response = await call(operation, f.name, f.member.id, f.admin);
    expect(response.status, await response.clone().text()).toBe(operations[operation]!.status);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it.each(Object.keys(operations))("S %s: every refusal (no token, not an admin, an unknown tenant, an unknown or malformed id) is Cache-Control: no-store too", async (operation) => {
    const f = await fixture();
    const refusals: [Response, number, string][] = [
      [await call(operation, f.name, f.member.id, {}), 401, "unauthorized"],
      [await call(operation, f.name, f.member.id, f.nonAdmin), 403, "forbidden"],
      [await call(operation, uniqueSlug("gone"), f.member.id, f.admin), 401, "unauthorized"],
    ];
    if (operation.includes("{id}")) refusals.push([await call(operation, f.name, crypto.randomUUID(), f.admin), 404, "not_found"]);
    if (operation.includes("{id}")) refusals.push([await call(operation, f.name, "not-a-uuid", f.admin), 400, "validation_failed"]);
    for (const [response, status, code] of refusals) {
      await problemOf(response, status, code);
      expect(response.headers.get("Cache-Control")).toBe("no-store");
    }
  });

  it("S an admin answer the database failed is 503, and Cache-Control: no-store", async () => {
    const f = await fixture();
    // The first D1 call checks the admin (rule P); the second, the list itself, fails.
    const { region } = faultyRegion({ kind: "nth", n: 2 });
    const response = await call("GET /t/{tenant}/admin/users", f.name, f.member.id, f.admin, region.fetch);
    await problemOf(response, 503, "unavailable");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });
});
