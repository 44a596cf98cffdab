// Rule H: writes that committed while their answer was lost are answered 503 (never 500), and their
// retry gets the first answer or a clear one: a password change, a deactivation, a revocation. And what
// is logged about a failure names it without SQL, parameters, e-mails or passwords.
import { afterEach, describe, expect, it, vi } from "vitest";
import { faultyRegion } from "../support/faults";
import { adminAuth } from "../support/admin";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { createTenant, json } from "../support/tenants";
import { revoke } from "../support/tokens";
import { bearer, fetchMe, PASSWORD, seedUser, signedInUser, signIn } from "../support/users";

const NEW_PASSWORD = "a completely new passphrase";

describe("H: retried writes", () => {
  // D1 calls of a password change: 1 the tenant (the route also takes a temporary password's change token,
  // credentials/temporary-password.ts), 2 the principal, 3 the password check, 4 the new hash and the other
  // sessions' end.
  it("H a password change whose answer was lost: 503, then the retry says clearly that the new password is already in effect", async () => {
    const f = await signedInUser();
    const auth = bearer(f.tokens.access_token);
    const { region } = faultyRegion({ kind: "nth", n: 4, lost: true });
    const change = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD };
    await problemOf(await region.fetch(`/t/${f.name}/me/password`, json(change, auth)), 503, "unavailable");

    const retry = await problemOf(await eu.fetch(`/t/${f.name}/me/password`, json(change, auth)), 400, "validation_failed");
    expect(retry.detail).toBe("The current password is not correct. If you have just changed it, the new one is already in effect.");
    expect((await signIn(eu, f.name, { login: f.user.username, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("H a deactivation whose answer was lost: 503, then the retry is 200 and the account is inactive", async () => {
    const { name, body } = await createTenant(eu);
    const admin = await adminAuth(eu, name);
    const user = await seedUser(eu, body.id);
    const deactivate = () => ({ ...json({ active: false }, admin), method: "PATCH" });
    const { region } = faultyRegion({ kind: "nth", n: [2, 3, 4, 5, 6], lost: true });
    await problemOf(await region.fetch(`/t/${name}/admin/users/${user.id}`, deactivate()), 503, "unavailable");

    const retry = await eu.fetch(`/t/${name}/admin/users/${user.id}`, deactivate());
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ id: user.id, active: false });
  });

  // D1 calls of a revocation: 1 the tenant, 2 the revocation (the refresh token names its session).
  it("H a revocation whose answer was lost: 503, then the retry is 200 and the session is over", async () => {
    const f = await signedInUser();
    const { region } = faultyRegion({ kind: "nth", n: 2, lost: true });
    expect((await revoke(region, f.name, f.tokens.refresh_token)).status).toBe(503);
    expect((await revoke(eu, f.name, f.tokens.refresh_token)).status).toBe(200);
    await problemOf(await fetchMe(eu, f.name, f.tokens.access_token), 401, "unauthorized");
  });
});

describe("H: what a failure logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("H one JSON line per error with the request id of the answer, and no SQL, parameters, e-mails or passwords", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    vi.spyOn(console, "error").mockImplementation(capture);
    vi.spyOn(console, "log").mockImplementation(capture);
    const { name } = await createTenant(eu);
    const secret = { login: "private.person@example.com", password: "my very secret passphrase" };

    // The database fails at the password check, whose query carries the login as a parameter.
    const { region } = faultyRegion({ kind: "nth", n: 2 });
    const failed = await signIn(region, name, secret);
    expect(failed.status).toBe(503);
    const refused = await signIn(eu, name, secret);
    expect(refused.status).toBe(401);

    for (const response of [failed, refused]) {
      const id = response.headers.get("X-Request-Id");
      const line = lines.find((l) => l.includes(`"${id}"`));
      expect(line).toBeDefined();
      const entry = JSON.parse(line!) as Record<string, unknown>;
      expect(entry).toMatchObject({ requestId: id, method: "POST", route: "/t/:tenant/sign-in", status: response.status });
    }
    const all = lines.join("\n");
    expect(all).not.toMatch(/private\.person|secret passphrase|select|insert|update "users"|params/i);
    expect(all).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });
});
