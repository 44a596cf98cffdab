// A person's own history (issue 14 point 6, MyQ's "Login attempts"): GET /t/{tenant}/me/sign-in-attempts
// lists the attempts whose login resolved to them (time, method, outcome, IP, client, user agent), newest
// first, paged by cursor like the admin's list, and read through the (tenant, user, id) index so that a
// page costs that person's rows only. Closes the holes of a person seeing another's attempts (in their
// tenant or another), or of unknown logins' attempts showing up in anyone's history.
import { describe, expect, it } from "vitest";
import { problemOf } from "../support/problems";
import { planOf } from "../support/query-plans";
import { eu, us } from "../support/regions";
import { bearer, PASSWORD, seedUser, signedInUser, signIn, tokensFor, WRONG_PASSWORD } from "../support/users";

interface Attempt {
  at: string;
  login: string;
  userId: string | null;
  success: boolean;
  code: string | null;
  method: string;
  ip: string | null;
  client: string | null;
  userAgent: string | null;
}

interface Page {
  items: Attempt[];
  nextCursor: string | null;
}

async function myAttempts(region: typeof eu, tenant: string, accessToken: string, query = ""): Promise<Page> {
  const response = await region.fetch(`/t/${tenant}/me/sign-in-attempts${query ? `?${query}` : ""}`, { headers: bearer(accessToken) });
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  return (await response.json()) as Page;
}

describe("GET /t/{tenant}/me/sign-in-attempts", () => {
  it("L P the person's own attempts, newest first, with time, method, outcome, IP, client and user agent", async () => {
    const { name, user, tokens } = await signedInUser();
    const from = { "CF-Connecting-IP": "203.0.113.50", "User-Agent": "Firefox/140" };
    expect((await signIn(eu, name, { login: user.email.toUpperCase(), password: WRONG_PASSWORD }, from)).status).toBe(401);

    const { items, nextCursor } = await myAttempts(eu, name, tokens.access_token);
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      login: user.email.toUpperCase(),
      userId: user.id,
      success: false,
      code: "invalid_credentials",
      method: "password",
      ip: "203.0.113.50",
      client: "printid-mobile",
      userAgent: "Firefox/140",
    });
    expect(items[1]).toMatchObject({ login: user.username, success: true, code: null });
    expect(Date.parse(items[0]!.at)).toBeGreaterThanOrEqual(Date.parse(items[1]!.at));
  });

  it("P T only theirs: another user's attempts, an unknown login's, and another tenant's are never listed", async () => {
    const { region, name, tenantId, user, tokens } = await signedInUser();
    const other = await seedUser(region, tenantId);
    await tokensFor(eu, name, other.username);
    expect((await signIn(eu, name, { login: "nobody-at-all", password: WRONG_PASSWORD })).status).toBe(401);
    const elsewhere = await signedInUser(us);
    expect((await signIn(us, elsewhere.name, { login: elsewhere.user.username, password: WRONG_PASSWORD })).status).toBe(401);

    const { items } = await myAttempts(eu, name, tokens.access_token);
    expect(items.map((item) => item.userId)).toEqual([user.id]);
    expect((await myAttempts(us, elsewhere.name, elsewhere.tokens.access_token)).items.map((item) => item.success)).toEqual([false, true]);
  });

  it("L pages by cursor, each attempt once, newest first", async () => {
    const { name, user, tokens } = await signedInUser();
    for (let i = 0; i < 4; i++) expect((await signIn(eu, name, { login: user.username, password: PASSWORD })).status).toBe(200);
    const seen: Attempt[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await myAttempts(eu, name, tokens.access_token, `limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    const times = seen.map((item) => Date.parse(item.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("a cursor this API did not give out is 400 validation_failed; without a token it is 401", async () => {
    const { name, tokens } = await signedInUser();
    await problemOf(await eu.fetch(`/t/${name}/me/sign-in-attempts?cursor=nonsense`, { headers: bearer(tokens.access_token) }), 400, "validation_failed");
    await problemOf(await eu.fetch(`/t/${name}/me/sign-in-attempts`), 401, "unauthorized");
  });

  it("H a page is read through the (tenant, user, id) index, newest first without sorting", async () => {
    const plan = await planOf({
      sql: `SELECT * FROM "sign_in_attempts" WHERE ("sign_in_attempts"."tenant_id" = ? AND "sign_in_attempts"."user_id" = ? AND "sign_in_attempts"."id" < ?) ORDER BY "sign_in_attempts"."id" DESC LIMIT ?`,
      params: ["t", "u", 100, 51],
    });
    const details = plan.map((row) => row.detail).join("\n");
    expect(details).toMatch(/SEARCH sign_in_attempts USING INDEX sign_in_attempts_tenant_user \(tenant_id=\? AND user_id=\? AND id<\?\)/);
    expect(details).not.toContain("TEMP B-TREE");
  });
});
