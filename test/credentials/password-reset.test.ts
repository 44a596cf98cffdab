// Password reset (src/credentials/password-reset.ts): POST /password/forgot always answers 202 with no body,
// and mails a single-use link (30 min, only its hash stored, bound to its tenant) only to a proven address
// (rule E); POST /password/reset sets the new password under the password policy, ends every session of
// the user and clears the lockout, in one batch with spending the link.
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountTokens, users } from "../../src/db/schema";
import { freshAddress, linkOf, mailTo, nthMailTo } from "../support/mail";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { countOf } from "../support/rows";
import { json } from "../support/tenants";
import { PASSWORD, signIn, tenantWithUser, tokensFor, WRONG_PASSWORD } from "../support/users";

const NEW_PASSWORD = "a brand new passphrase";

const liveSessions = (userId: string) => countOf(eu, "SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL", userId);
const forgot = (tenant: string, login: string, headers: Record<string, string> = {}) => eu.fetch(`/t/${tenant}/password/forgot`, json({ login }, headers));
const reset = (tenant: string, token: string, newPassword = NEW_PASSWORD) => eu.fetch(`/t/${tenant}/password/reset`, json({ token, newPassword }));

/** A tenant and a user whose address is proven (or not), with an address no other test mails to. */
async function person(verified = true) {
  const fixture = await tenantWithUser(eu, {}, { email: freshAddress() });
  await drizzle(eu.db).update(users).set({ emailVerified: verified }).where(eq(users.id, fixture.user.id));
  return fixture;
}

async function resetLink(tenant: string, login: string, email: string) {
  expect((await forgot(tenant, login)).status).toBe(202);
  return linkOf(await nthMailTo(email));
}

describe("L forgot: the same answer whoever asks", () => {
  it("L 202 with no body for an account, an unknown login and an unproven address alike; only the proven address is mailed", async () => {
    const proven = await person();
    const unproven = await person(false);
    const answers = await Promise.all([
      forgot(proven.name, proven.user.username),
      forgot(proven.name, "nobody-at-all"),
      forgot(unproven.name, unproven.user.email),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(await answer.text()).toBe("");
    }
    const mail = await nthMailTo(proven.user.email);
    expect(mail.from.name).toBe(`Tenant ${proven.name}`);
    expect(linkOf(mail).path).toBe(`/t/${proven.name}/account/password/reset`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await mailTo(unproven.user.email)).toHaveLength(0);
  });

  it("S the link lives 30 minutes and only its hash is stored", async () => {
    const { name, user } = await person();
    const { token } = await resetLink(name, user.email.toUpperCase(), user.email);
    const [row] = await drizzle(eu.db).select().from(accountTokens).where(eq(accountTokens.userId, user.id));
    expect(row).toMatchObject({ purpose: "reset_password", codeHash: null });
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(30 * 60_000);
  });

  it("H forgot is rate-limited: the 11th request of an address in a minute is 429", async () => {
    const { name } = await person();
    const headers = { "CF-Connecting-IP": `198.51.100.${Math.floor(Math.random() * 250)}` };
    for (let i = 0; i < 10; i++) expect((await forgot(name, `nobody-${i}`, headers)).status).toBe(202);
    await problemOf(await forgot(name, "nobody-else", headers), 429, "rate_limited");
  });
});

describe("L reset", () => {
  it("L the new password works and the old one not; every session ends; the link works once", async () => {
    const { name, user } = await person();
    await tokensFor(eu, name, user.username);
    await tokensFor(eu, name, user.username);
    expect(await liveSessions(user.id)).toBe(2);
    const { token } = await resetLink(name, user.username, user.email);
    expect((await reset(name, token)).status).toBe(204);
    expect(await liveSessions(user.id)).toBe(0);
    expect((await signIn(eu, name, { login: user.username, password: NEW_PASSWORD })).status).toBe(200);
    await problemOf(await signIn(eu, name, { login: user.username, password: PASSWORD }), 401, "invalid_credentials");
    const again = await problemOf(await reset(name, token, "yet another passphrase"), 400, "validation_failed");
    expect(again.errors).toEqual([{ path: "token", message: expect.any(String) }]);
  });

  it("L the lockout is cleared", async () => {
    const { name, user } = await person();
    for (let i = 0; i < 5; i++) await signIn(eu, name, { login: user.username, password: WRONG_PASSWORD });
    await problemOf(await signIn(eu, name, { login: user.username, password: PASSWORD }), 429, "account_locked");
    const { token } = await resetLink(name, user.username, user.email);
    expect((await reset(name, token)).status).toBe(204);
    expect((await signIn(eu, name, { login: user.username, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("L the password policy applies: too short, or the username, is 400 and the link stays usable", async () => {
    const { name, user } = await person();
    const { token } = await resetLink(name, user.username, user.email);
    const short = await problemOf(await reset(name, token, "short"), 400, "validation_failed");
    expect(short.errors?.[0]?.path).toBe("newPassword");
    await problemOf(await reset(name, token, user.username), 400, "validation_failed");
    expect((await reset(name, token)).status).toBe(204);
  });

  it("T a link of one tenant is refused in another, and still works at home", async () => {
    const { name, user } = await person();
    const other = await person();
    const { token } = await resetLink(name, user.username, user.email);
    await problemOf(await reset(other.name, token), 400, "validation_failed");
    expect((await reset(name, token)).status).toBe(204);
  });

  it("S an expired link is refused; a newer link replaces the older", async () => {
    const { name, user } = await person();
    const first = await resetLink(name, user.username, user.email);
    await drizzle(eu.db).update(accountTokens).set({ createdAt: new Date(Date.now() - 120_000) }).where(eq(accountTokens.userId, user.id));
    expect((await forgot(name, user.username)).status).toBe(202);
    const second = linkOf(await nthMailTo(user.email, 2));
    await problemOf(await reset(name, first.token), 400, "validation_failed");
    await drizzle(eu.db).update(accountTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(accountTokens.userId, user.id));
    await problemOf(await reset(name, second.token), 400, "validation_failed");
  });

  it("S two resets with one link at once: one succeeds", async () => {
    const { name, user } = await person();
    const { token } = await resetLink(name, user.username, user.email);
    const answers = await Promise.all([reset(name, token), reset(name, token, "another new passphrase")]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 400]);
  });
});
