// PATCH /t/{tenant}/me { username }: a user changes their (possibly generated) username. Usernames are unique
// per tenant regardless of case (rule L signs in by username in any case, so two that differ only in case
// would be one login), free across tenants (rule T), and validated like every username. Holes closed: a
// rename that takes over another user's login, a rename that leaves the old login working, a malformed
// username that sign-in could never match. The view also says whether the address is proven (rule E).
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { createTenant } from "../support/tenants";
import type { Problem } from "../support/problems";
import { bearer, fetchMe, seedUser, signedInUser, signIn, tokensFor } from "../support/users";

type UserBody = { id: string; username: string };

function rename(tenant: string, accessToken: string, username: unknown, contentType = "application/json") {
  return eu.fetch(`/t/${tenant}/me`, {
    method: "PATCH",
    headers: { "Content-Type": contentType, ...bearer(accessToken) },
    body: JSON.stringify({ username }),
  });
}

async function storedUsername(userId: string) {
  const row = await eu.db.prepare("SELECT username FROM users WHERE id = ?").bind(userId).first<{ username: string }>();
  return row?.username;
}

/** A username no other test uses. */
const uniqueName = (prefix = "renamed") => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

describe("renaming", () => {
  it("L answers 200 with the new username; sign-in then works with the new one, not the old one", async () => {
    const { name, user, tokens: { access_token: accessToken } } = await signedInUser();
    const username = uniqueName();
    const response = await rename(name, accessToken, username);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id, username, email: user.email });
    expect(await storedUsername(user.id)).toBe(username);

    expect((await signIn(eu, name, { login: username, password: user.password })).status).toBe(200);
    expect((await signIn(eu, name, { login: username.toUpperCase(), password: user.password })).status).toBe(200);
    const old = await signIn(eu, name, { login: user.username, password: user.password });
    expect(old.status).toBe(401);
    expect(((await old.json()) as Problem).code).toBe("invalid_credentials");
    // GET /me shows it too.
    expect(await (await fetchMe(eu, name, accessToken)).json()).toMatchObject({ username });
  });

  it("L surrounding spaces are trimmed", async () => {
    const { name, user, tokens: { access_token: accessToken } } = await signedInUser();
    const username = uniqueName();
    const response = await rename(name, accessToken, `  ${username} `);
    expect(response.status).toBe(200);
    expect(((await response.json()) as UserBody).username).toBe(username);
    expect(await storedUsername(user.id)).toBe(username);
  });

  it("L a user may change the case of their own username", async () => {
    const { name, user, tokens: { access_token: accessToken } } = await signedInUser();
    const response = await rename(name, accessToken, user.username.toUpperCase());
    expect(response.status).toBe(200);
    expect(await storedUsername(user.id)).toBe(user.username.toUpperCase());
  });
});

describe("uniqueness", () => {
  it("L a username of another user of the tenant, in another case, is 409 username_taken", async () => {
    const { name, tenantId, user, tokens: { access_token: accessToken } } = await signedInUser();
    const other = await seedUser(eu, tenantId, { username: uniqueName("Taken") });
    for (const taken of [other.username, other.username.toUpperCase(), other.username.toLowerCase()]) {
      const response = await rename(name, accessToken, taken);
      expect(response.status).toBe(409);
      expect(((await response.json()) as Problem).code).toBe("username_taken");
    }
    expect(await storedUsername(user.id)).toBe(user.username);
    expect(await storedUsername(other.id)).toBe(other.username);
  });

  it("T the username of a user of another tenant is free here", async () => {
    const { name, user, tokens: { access_token: accessToken } } = await signedInUser();
    const elsewhere = await createTenant(eu);
    const other = await seedUser(eu, elsewhere.body.id, { username: uniqueName("shared") });
    const response = await rename(name, accessToken, other.username);
    expect(response.status).toBe(200);
    expect(await storedUsername(user.id)).toBe(other.username);
    expect(await storedUsername(other.id)).toBe(other.username);
  });

  it("L of two users renaming to the same name at once, one wins and the other is 409", async () => {
    const { name, tenantId, tokens: { access_token: accessToken } } = await signedInUser();
    const second = await seedUser(eu, tenantId);
    const secondToken = (await tokensFor(eu, name, second.username)).access_token;
    const username = uniqueName("race");
    const statuses = (
      await Promise.all([rename(name, accessToken, username), rename(name, secondToken, username.toUpperCase())])
    ).map((response) => response.status);
    expect(statuses.sort()).toEqual([200, 409]);
  });
});

describe("validation", () => {
  it.each<[string, unknown]>([
    ["too short", "ab"],
    ["empty", ""],
    ["with a space", "has space"],
    ["with a leading '.'", ".leading"],
    ["with a leading '-'", "-leading"],
    ["with an '@'", "name@example.com"],
    ["longer than 64 characters", "x".repeat(65)],
    ["not a string", 42],
    ["null", null],
  ])("L a username %s is 400 validation_failed naming username, and nothing changes", async (_what, username) => {
    const { name, user, tokens: { access_token: accessToken } } = await signedInUser();
    const response = await rename(name, accessToken, username);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as Problem;
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain("username");
    expect(await storedUsername(user.id)).toBe(user.username);
  });

  it("L exactly 64 characters is accepted", async () => {
    const { name, tokens: { access_token: accessToken } } = await signedInUser();
    const username = uniqueName("long").padEnd(64, "x");
    const response = await rename(name, accessToken, username);
    expect(response.status).toBe(200);
    expect(((await response.json()) as UserBody).username).toBe(username);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded"])(
    "a body sent as %s is 415 unsupported_media_type, and nothing changes",
    async (contentType) => {
      const { name, user, tokens: { access_token: accessToken } } = await signedInUser();
      const response = await rename(name, accessToken, uniqueName(), contentType);
      expect(response.status).toBe(415);
      expect(((await response.json()) as Problem).code).toBe("unsupported_media_type");
      expect(await storedUsername(user.id)).toBe(user.username);
    },
  );
});

describe("the user view", () => {
  it("E GET and PATCH /me say whether the address is proven: emailVerified false until it is, then true", async () => {
    const { name, user, tokens: { access_token: accessToken } } = await signedInUser();
    const view = async () => (await fetchMe(eu, name, accessToken)).json();
    expect(await view()).toMatchObject({ email: user.email, emailVerified: false });
    expect(await (await rename(name, accessToken, uniqueName())).json()).toMatchObject({ emailVerified: false });

    await eu.db.prepare("UPDATE users SET email_verified = 1 WHERE id = ?").bind(user.id).run();
    expect(await view()).toMatchObject({ email: user.email, emailVerified: true });
  });
});

describe("policy", () => {
  it("P without a token it is 401; for a deactivated user 403 account_inactive; nothing changes", async () => {
    const { name, user, tokens: { access_token: accessToken } } = await signedInUser();
    const anonymous = await eu.fetch(`/t/${name}/me`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: uniqueName() }),
    });
    expect(anonymous.status).toBe(401);

    await eu.db.prepare("UPDATE users SET active = 0 WHERE id = ?").bind(user.id).run();
    const inactive = await rename(name, accessToken, uniqueName());
    expect(inactive.status).toBe(403);
    expect(((await inactive.json()) as Problem).code).toBe("account_inactive");
    expect(await storedUsername(user.id)).toBe(user.username);
  });
});
