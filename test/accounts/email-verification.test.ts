// Rule E, e-mail verification (src/accounts/email-verification.ts): a self-registration is mailed a link
// and a 6-digit code (48 h, single use, only hashes stored, bound to its tenant); either proves the address
// (`email_verified` in /me); where the tenant requires it, no tokens until then (`403 email_unverified`);
// resend always answers 202 and is rate-limited; an unconfirmed registration is removed after 48 h.
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { accountTokens } from "../../src/db/schema";
import { prune } from "../../src/scheduled";
import { testEnv } from "../support/env";
import { codeOf, freshAddress, linkOf, mailTo, nthMailTo, requireEmailConfirmation } from "../support/mail";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { countOf } from "../support/rows";
import { json, openTenant } from "../support/tenants";
import { fetchMe, registration, signIn, type TokenResponse } from "../support/users";

const verify = (tenant: string, body: Record<string, unknown>) => eu.fetch(`/t/${tenant}/email/verify`, json(body));
const resend = (tenant: string, email: string, headers: Record<string, string> = {}) => eu.fetch(`/t/${tenant}/email/resend`, json({ email }, headers));

/** A tenant open to registration, and a new registration in it with the message it was sent. */
async function registered(options: { confirmationRequired?: boolean; headers?: Record<string, string> } = {}) {
  const tenant = await openTenant(eu);
  if (options.confirmationRequired) await requireEmailConfirmation(eu, tenant.id);
  const email = freshAddress();
  const response = await registration(eu, tenant.name, { email }, options.headers);
  const body = (await response.json()) as { status: string; user: { id: string } } & Partial<TokenResponse>;
  return { tenant, email, response, body, mail: await nthMailTo(email) };
}

async function emailVerified(tenant: string, email: string): Promise<boolean> {
  const response = await signIn(eu, tenant, { login: email, password: "correct horse battery" });
  const { access_token } = (await response.json()) as TokenResponse;
  return ((await (await fetchMe(eu, tenant, access_token)).json()) as { emailVerified: boolean }).emailVerified;
}

describe("E the confirmation message", () => {
  it("E a registration is mailed a link and a 6-digit code, in the tenant's name, as text and HTML, from the region's sender", async () => {
    const { tenant, mail } = await registered();
    expect(mail.from).toEqual({ name: `Tenant ${tenant.name}`, email: testEnv.MAIL_FROM });
    expect(mail.subject).toBe(`Confirm your e-mail address for Tenant ${tenant.name}`);
    const link = linkOf(mail);
    expect(link.path).toBe(`/t/${tenant.name}/account/email/verify`);
    expect(link.token).toMatch(/^[\w-]{43}$/);
    expect(codeOf(mail)).toMatch(/^\d{6}$/);
    expect(mail.html).toContain(`href="${eu.origin}/t/${tenant.name}/account/email/verify?token=${link.token}"`);
    expect(mail.html).toContain(codeOf(mail));
  });

  it("E French from Accept-Language (or ui_locales)", async () => {
    const { tenant, mail } = await registered({ headers: { "Accept-Language": "fr-CA, en;q=0.5" } });
    expect(mail.subject).toBe(`Confirmez votre adresse e-mail pour Tenant ${tenant.name}`);
    expect(mail.text).toContain("Ou saisissez ce code\u00a0:");
  });

  it("S only hashes are stored: neither the link's token nor the code is in account_tokens", async () => {
    const { body, mail } = await registered();
    const rows = await drizzle(eu.db).select().from(accountTokens).where(eq(accountTokens.userId, body.user.id));
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(linkOf(mail).token);
    expect(stored).not.toContain(codeOf(mail));
    expect(rows[0]).toMatchObject({ purpose: "verify_email", codeFailures: 0, usedAt: null });
    expect(rows[0]!.expiresAt.getTime() - rows[0]!.createdAt.getTime()).toBe(48 * 3600_000);
  });
});

describe("E the link and the code prove the address, once", () => {
  it("E the link's token makes email_verified true; a second use is 400 validation_failed", async () => {
    const { tenant, email, mail } = await registered();
    expect(await emailVerified(tenant.name, email)).toBe(false);
    expect((await verify(tenant.name, { token: linkOf(mail).token })).status).toBe(204);
    expect(await emailVerified(tenant.name, email)).toBe(true);
    const again = await problemOf(await verify(tenant.name, { token: linkOf(mail).token }), 400, "validation_failed");
    expect(again.errors).toEqual([{ path: "token", message: expect.any(String) }]);
  });

  it("E T a token of another tenant is refused there, and still works at home", async () => {
    const { tenant, email, mail } = await registered();
    const other = await openTenant(eu);
    await problemOf(await verify(other.name, { token: linkOf(mail).token }), 400, "validation_failed");
    expect((await verify(tenant.name, { token: linkOf(mail).token })).status).toBe(204);
    expect(await emailVerified(tenant.name, email)).toBe(true);
  });

  it("E an expired link is refused", async () => {
    const { tenant, body, mail } = await registered();
    await drizzle(eu.db).update(accountTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(accountTokens.userId, body.user.id));
    await problemOf(await verify(tenant.name, { token: linkOf(mail).token }), 400, "validation_failed");
  });

  it("E the address and code prove it too, in any case of the address; then the link is spent", async () => {
    const { tenant, email, mail } = await registered();
    expect((await verify(tenant.name, { email: email.toUpperCase(), code: codeOf(mail) })).status).toBe(204);
    expect(await emailVerified(tenant.name, email)).toBe(true);
    await problemOf(await verify(tenant.name, { token: linkOf(mail).token }), 400, "validation_failed");
  });

  it("E wrong codes are counted: after 5 tries even the right code is refused (the link still works)", async () => {
    const { tenant, email, mail } = await registered();
    const wrong = String((Number(codeOf(mail)) + 1) % 1_000_000).padStart(6, "0");
    for (let i = 0; i < 5; i++) {
      const refused = await problemOf(await verify(tenant.name, { email, code: wrong }), 400, "validation_failed");
      expect(refused.errors).toEqual([{ path: "code", message: expect.any(String) }]);
    }
    await problemOf(await verify(tenant.name, { email, code: codeOf(mail) }), 400, "validation_failed");
    expect((await verify(tenant.name, { token: linkOf(mail).token })).status).toBe(204);
  });

  it("E a code is refused for an address of another tenant, and an unknown address answers alike", async () => {
    const { email, mail } = await registered();
    const other = await openTenant(eu);
    await problemOf(await verify(other.name, { email, code: codeOf(mail) }), 400, "validation_failed");
    await problemOf(await verify(other.name, { email: freshAddress("nobody"), code: "123456" }), 400, "validation_failed");
  });
});

describe("E L where the tenant requires confirmation", () => {
  it("E L registration is 202 email_unverified with no tokens; sign-in is 403 email_unverified until the link is used", async () => {
    const { tenant, email, response, body, mail } = await registered({ confirmationRequired: true });
    expect(response.status).toBe(202);
    expect(body.status).toBe("email_unverified");
    expect(body.access_token).toBeUndefined();
    await problemOf(await signIn(eu, tenant.name, { login: email, password: "correct horse battery" }), 403, "email_unverified");
    expect(await countOf(eu, "SELECT count(*) AS n FROM sign_in_attempts WHERE user_id = ? AND code = 'email_unverified'", body.user.id)).toBe(1);
    expect((await verify(tenant.name, { token: linkOf(mail).token })).status).toBe(204);
    expect((await signIn(eu, tenant.name, { login: email, password: "correct horse battery" })).status).toBe(200);
  });

  it("L a wrong password is still invalid_credentials, never email_unverified", async () => {
    const { tenant, email } = await registered({ confirmationRequired: true });
    await problemOf(await signIn(eu, tenant.name, { login: email, password: "not the password at all" }), 401, "invalid_credentials");
  });

  it("E where the setting is off, an unconfirmed registration signs in (and was still sent its message)", async () => {
    const { tenant, email, response } = await registered();
    expect(response.status).toBe(201);
    expect((await signIn(eu, tenant.name, { login: email, password: "correct horse battery" })).status).toBe(200);
  });
});

describe("E resend", () => {
  it("E always 202; a new link and code, the earlier ones stop working; an unknown address is sent nothing", async () => {
    const { tenant, email, body, mail } = await registered({ confirmationRequired: true });
    // The first message is under a minute old: resend waits for the pause to pass, so age it.
    await drizzle(eu.db).update(accountTokens).set({ createdAt: new Date(Date.now() - 120_000) }).where(eq(accountTokens.userId, body.user.id));
    expect((await resend(tenant.name, email)).status).toBe(202);
    const second = await nthMailTo(email, 2);
    expect(linkOf(second).token).not.toBe(linkOf(mail).token);
    await problemOf(await verify(tenant.name, { token: linkOf(mail).token }), 400, "validation_failed");
    expect((await verify(tenant.name, { email, code: codeOf(second) })).status).toBe(204);

    const nobody = freshAddress("nobody");
    expect((await resend(tenant.name, nobody)).status).toBe(202);
    expect((await resend(tenant.name, email)).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await mailTo(nobody)).toHaveLength(0);
    expect(await mailTo(email)).toHaveLength(2);
  });

  it("E a resend within a minute of the last message sends nothing more", async () => {
    const { tenant, email } = await registered();
    expect((await resend(tenant.name, email)).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await mailTo(email)).toHaveLength(1);
  });

  it("H resend is rate-limited per address and tenant: the 11th in a minute is 429 rate_limited", async () => {
    const tenant = await openTenant(eu);
    const headers = { "CF-Connecting-IP": `203.0.113.${Math.floor(Math.random() * 250)}` };
    for (let i = 0; i < 10; i++) expect((await resend(tenant.name, freshAddress(), headers)).status).toBe(202);
    const refused = await resend(tenant.name, freshAddress(), headers);
    await problemOf(refused, 429, "rate_limited");
    expect(refused.headers.get("Retry-After")).toBe("60");
  });
});

describe("E the clean-up", () => {
  it("E an unconfirmed registration is removed 48 h on where confirmation is required, freeing its address; a confirmed one stays", async () => {
    const abandoned = await registered({ confirmationRequired: true });
    const kept = await registered({ confirmationRequired: true });
    await verify(kept.tenant.name, { token: linkOf(kept.mail).token });
    const open = await registered();
    await prune(database(eu.db), new Date(Date.now() + 49 * 3600_000));
    const users = (id: string) => countOf(eu, "SELECT count(*) AS n FROM users WHERE id = ?", id);
    expect(await users(abandoned.body.user.id)).toBe(0);
    expect(await users(kept.body.user.id)).toBe(1);
    expect(await users(open.body.user.id)).toBe(1);
    expect((await registration(eu, abandoned.tenant.name, { email: abandoned.email })).status).toBe(202);
  });
});
