// Invitations (src/accounts/invitations.ts): an admin creates a user without a password and printid mails
// an invitation (POST …/admin/users/{id}/invitation, or `invite: true` at creation): a link of 7 days, single
// use, only its hash stored, bound to its tenant; POST /invitation/accept sets the password (the policy
// applies) and proves the address (rule E); the account stays as active as the admin made it.
import { describe, expect, it } from "vitest";
import { api, create, type UserView } from "../admin/support";
import { adminFixture, memberAuth, type AdminFixture } from "../support/admin";
import { failNextMail, freshAddress, linkOf, nthMailTo } from "../support/mail";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { countOf } from "../support/rows";
import { json } from "../support/tenants";
import { bearer, fetchMe, signIn, type TokenResponse } from "../support/users";

const PASSWORD = "my own passphrase";

const accept = (tenant: string, token: string, password = PASSWORD) => eu.fetch(`/t/${tenant}/invitation/accept`, json({ token, password }));
const invite = (f: AdminFixture, id: string, headers: Record<string, string> = {}) =>
  eu.fetch(`/t/${f.tenant}/admin/users/${id}/invitation`, { method: "POST", headers: { ...f.auth, ...headers } });

/** A tenant, its admin, and a user they created without a password. */
async function invitee(overrides: Record<string, unknown> = {}) {
  const f = await adminFixture();
  const email = freshAddress("invitee");
  const user = await create(f, { username: `inv-${crypto.randomUUID().slice(0, 6)}`, email, ...overrides });
  return { f, email, user };
}

describe("R E an admin's invitation", () => {
  it("R E invite: true mails a 7-day link in the tenant's name; accepting sets the password and proves the address", async () => {
    const { f, email, user } = await invitee({ invite: true });
    const mail = await nthMailTo(email);
    expect(mail.from.name).toBe(`Tenant ${f.tenant}`);
    expect(mail.subject).toBe(`You are invited to Tenant ${f.tenant}`);
    const { path, token } = linkOf(mail);
    expect(path).toBe(`/t/${f.tenant}/account/invitation`);
    expect(await countOf(eu, "SELECT count(*) AS n FROM account_tokens WHERE user_id = ? AND purpose = 'invitation' AND expires_at - created_at = ?", user.id, 7 * 24 * 3600_000)).toBe(1);
    expect(await countOf(eu, "SELECT count(*) AS n FROM account_tokens WHERE token_hash = ?", token)).toBe(0);

    expect((await accept(f.tenant, token)).status).toBe(204);
    const signedIn = await signIn(eu, f.tenant, { login: email, password: PASSWORD });
    expect(signedIn.status).toBe(200);
    const me = (await (await fetchMe(eu, f.tenant, ((await signedIn.json()) as TokenResponse).access_token)).json()) as UserView;
    expect(me.emailVerified).toBe(true);
    const again = await problemOf(await accept(f.tenant, token, "another passphrase"), 400, "validation_failed");
    expect(again.errors).toEqual([{ path: "token", message: expect.any(String) }]);
  });

  it("R the account stays as the admin made it: an inactive invitee sets a password and is still refused until activated", async () => {
    const { f, email, user } = await invitee({ active: false });
    expect((await invite(f, user.id)).status).toBe(202);
    expect((await accept(f.tenant, linkOf(await nthMailTo(email)).token)).status).toBe(204);
    await problemOf(await signIn(eu, f.tenant, { login: email, password: PASSWORD }), 403, "account_inactive");
  });

  it("R in French from the admin's request (ui_locales); a newer invitation replaces the older", async () => {
    const { f, email, user } = await invitee();
    expect((await eu.fetch(`/t/${f.tenant}/admin/users/${user.id}/invitation?ui_locales=fr`, { method: "POST", headers: f.auth })).status).toBe(202);
    const first = await nthMailTo(email);
    expect(first.subject).toBe(`Vous êtes invité(e) sur Tenant ${f.tenant}`);
    expect((await invite(f, user.id)).status).toBe(202);
    const second = await nthMailTo(email, 2);
    await problemOf(await accept(f.tenant, linkOf(first).token), 400, "validation_failed");
    expect((await accept(f.tenant, linkOf(second).token)).status).toBe(204);
  });

  it("L the password policy applies to the chosen password", async () => {
    const { f, email, user } = await invitee({ invite: true });
    const { token } = linkOf(await nthMailTo(email));
    await problemOf(await accept(f.tenant, token, "short"), 400, "validation_failed");
    await problemOf(await accept(f.tenant, token, user.username), 400, "validation_failed");
    expect((await accept(f.tenant, token)).status).toBe(204);
  });

  it("T a link of one tenant is refused in another; another tenant's user is 404 to this admin", async () => {
    const { f, email, user } = await invitee({ invite: true });
    const other = await adminFixture();
    const { token } = linkOf(await nthMailTo(email));
    await problemOf(await accept(other.tenant, token), 400, "validation_failed");
    await problemOf(await invite(other, user.id), 404, "not_found");
    expect((await accept(f.tenant, token)).status).toBe(204);
  });

  it("R only a user without a password is invited, only by an admin; invite with a password is 400", async () => {
    const f = await adminFixture();
    const withPassword = await create(f, { username: "has-password", email: freshAddress(), password: "a password of theirs" });
    await problemOf(await invite(f, withPassword.id), 400, "validation_failed");
    await problemOf(await api(f, "POST", "/users", { username: "both", email: freshAddress(), password: "a password of theirs", invite: true }), 400, "validation_failed");
    await problemOf(await invite({ ...f, auth: await memberAuth(f) }, withPassword.id), 403, "forbidden");
    await problemOf(await eu.fetch(`/t/${f.tenant}/admin/users/${withPassword.id}/invitation`, { method: "POST", headers: bearer("nope") }), 401, "unauthorized");
  });

  it("H a message that cannot be sent is 503; the user is kept, and asking again sends it", async () => {
    const f = await adminFixture();
    const email = freshAddress("invitee");
    await failNextMail(email, 3);
    await problemOf(await api(f, "POST", "/users", { username: "unlucky", email, invite: true }), 503, "unavailable");
    const [{ id }] = (await eu.db.prepare("SELECT id FROM users WHERE tenant_id = ? AND email = ?").bind(f.tenantId, email).all<{ id: string }>()).results as [{ id: string }];
    expect((await invite(f, id)).status).toBe(202);
    expect((await accept(f.tenant, linkOf(await nthMailTo(email)).token)).status).toBe(204);
  });
});
