// A person's own sessions (issue 14 point 5): GET /t/{tenant}/me/sessions lists their live sessions, newest
// first, with client, method, times, IP and user agent, the asking one marked; DELETE …/me/sessions/{id}
// ends one of their own and nothing else. Closes the holes of a person seeing or ending another person's
// session (in their tenant or another), and of a list showing sessions that have ended.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { problemOf } from "../support/problems";
import { eu, us } from "../support/regions";
import { refresh } from "../support/tokens";
import { bearer, fetchMe, PASSWORD, seedUser, signedInUser, signIn, tokensFor, type TokenResponse } from "../support/users";

interface ListedSession {
  id: string;
  client: string;
  method: string;
  createdAt: string;
  lastUsedAt: string | null;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

const sidOf = (tokens: TokenResponse) => decodeJwt(tokens.access_token).sid as string;

async function mySessions(region: typeof eu, tenant: string, tokens: TokenResponse): Promise<ListedSession[]> {
  const response = await region.fetch(`/t/${tenant}/me/sessions`, { headers: bearer(tokens.access_token) });
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  return ((await response.json()) as { items: ListedSession[] }).items;
}

const endMine = (region: typeof eu, tenant: string, tokens: TokenResponse, id: string) =>
  region.fetch(`/t/${tenant}/me/sessions/${id}`, { method: "DELETE", headers: bearer(tokens.access_token) });

describe("GET /t/{tenant}/me/sessions", () => {
  it("P lists the person's live sessions, newest first, with where they were opened; the asking one is current", async () => {
    const { name, user, tokens } = await signedInUser();
    const response = await signIn(eu, name, { login: user.username, password: PASSWORD }, { "CF-Connecting-IP": "198.51.100.4", "User-Agent": "Printer/1.0" });
    const second = (await response.json()) as TokenResponse;

    const items = await mySessions(eu, name, tokens);
    expect(items.map((item) => item.id)).toEqual([sidOf(second), sidOf(tokens)]);
    expect(items[0]).toMatchObject({ client: "printid-mobile", method: "password", ip: "198.51.100.4", userAgent: "Printer/1.0", lastUsedAt: null, current: false });
    expect(items[1]!.current).toBe(true);
    expect(Date.parse(items[0]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(items[1]!.createdAt));
  });

  it("P a refresh shows as the session's last use", async () => {
    const { name, tokens } = await signedInUser();
    const renewed = (await (await refresh(eu, name, tokens.refresh_token)).json()) as TokenResponse;
    const [session] = await mySessions(eu, name, renewed);
    expect(session).toMatchObject({ id: sidOf(tokens), current: true });
    expect(session!.lastUsedAt).not.toBeNull();
  });

  it("P ended sessions are not listed: revoked, expired, or past the tenant's time-outs", async () => {
    const { name, user, tokens } = await signedInUser(eu, { sessionIdleSeconds: 3600 });
    const [revoked, expired, idle] = [await tokensFor(eu, name, user.username), await tokensFor(eu, name, user.username), await tokensFor(eu, name, user.username)];
    expect((await endMine(eu, name, tokens, sidOf(revoked))).status).toBe(204);
    await eu.db.prepare("UPDATE sessions SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, sidOf(expired)).run();
    await eu.db.prepare("UPDATE sessions SET created_at = ? WHERE id = ?").bind(Date.now() - 7200_000, sidOf(idle)).run();
    expect((await mySessions(eu, name, tokens)).map((item) => item.id)).toEqual([sidOf(tokens)]);
  });

  it("P T only the person's own: another user's sessions, here or in another tenant, are never listed", async () => {
    const { region, name, tenantId, tokens } = await signedInUser();
    const other = await seedUser(region, tenantId);
    await tokensFor(eu, name, other.username);
    const elsewhere = await signedInUser(us);
    expect((await mySessions(eu, name, tokens)).map((item) => item.id)).toEqual([sidOf(tokens)]);
    expect((await mySessions(us, elsewhere.name, elsewhere.tokens)).map((item) => item.id)).toEqual([sidOf(elsewhere.tokens)]);
  });

  it("P without a valid bearer token it is 401", async () => {
    const { name } = await signedInUser();
    await problemOf(await eu.fetch(`/t/${name}/me/sessions`), 401, "unauthorized");
  });
});

describe("DELETE /t/{tenant}/me/sessions/{id}", () => {
  it("P ends that session at once (its access and refresh tokens), and no other", async () => {
    const { name, user, tokens } = await signedInUser();
    const phone = await tokensFor(eu, name, user.username);
    expect((await endMine(eu, name, tokens, sidOf(phone))).status).toBe(204);
    await problemOf(await fetchMe(eu, name, phone.access_token), 401, "unauthorized");
    expect((await refresh(eu, name, phone.refresh_token)).status).toBe(400);
    expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
  });

  it("H a retried request is 204 again", async () => {
    const { name, user, tokens } = await signedInUser();
    const phone = await tokensFor(eu, name, user.username);
    expect((await endMine(eu, name, tokens, sidOf(phone))).status).toBe(204);
    expect((await endMine(eu, name, tokens, sidOf(phone))).status).toBe(204);
  });

  it("P the current session may sign itself out", async () => {
    const { name, tokens } = await signedInUser();
    expect((await endMine(eu, name, tokens, sidOf(tokens))).status).toBe(204);
    await problemOf(await fetchMe(eu, name, tokens.access_token), 401, "unauthorized");
  });

  it("P T another person's session, of this tenant or another, is 404 not_found and lives on", async () => {
    const { region, name, tenantId, tokens } = await signedInUser();
    const other = await seedUser(region, tenantId);
    const theirs = await tokensFor(eu, name, other.username);
    const elsewhere = await signedInUser();
    for (const id of [sidOf(theirs), sidOf(elsewhere.tokens), crypto.randomUUID()]) {
      await problemOf(await endMine(eu, name, tokens, id), 404, "not_found");
    }
    expect((await fetchMe(eu, name, theirs.access_token)).status).toBe(200);
    expect((await fetchMe(eu, elsewhere.name, elsewhere.tokens.access_token)).status).toBe(200);
  });

  it("a session id that is no UUID is 400 validation_failed", async () => {
    const { name, tokens } = await signedInUser();
    await problemOf(await endMine(eu, name, tokens, "not-a-session"), 400, "validation_failed");
  });
});
