// Rule H for e-mail (src/mail/send.ts): a failed send is retried a few times with a short pause; when every
// try fails the caller gets 503 unavailable with Retry-After, and nothing of the account is lost: its proof
// is stored, and asking again (the same registration, or resend) sends it.
import { describe, expect, it } from "vitest";
import { failNextMail, freshAddress, linkOf, mailTo, nthMailTo } from "../support/mail";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { countOf } from "../support/rows";
import { json, openTenant } from "../support/tenants";
import { registration } from "../support/users";

describe("H a message that cannot be sent", () => {
  it("H two failed sends are retried and the third delivers: the registration answers as usual", async () => {
    const tenant = await openTenant(eu);
    const email = freshAddress();
    await failNextMail(email, 2);
    expect((await registration(eu, tenant.name, { email })).status).toBe(201);
    expect(await mailTo(email)).toHaveLength(1);
  });

  it("H every try failing is 503 unavailable with Retry-After; the account is kept, and the retried registration sends the message", async () => {
    const tenant = await openTenant(eu);
    const email = freshAddress();
    await failNextMail(email, 3);
    const failed = await registration(eu, tenant.name, { email });
    await problemOf(failed, 503, "unavailable");
    expect(failed.headers.get("Retry-After")).toBe("60");
    expect(await mailTo(email)).toHaveLength(0);
    expect(await countOf(eu, "SELECT count(*) AS n FROM users WHERE tenant_id = ? AND email = ?", tenant.id, email)).toBe(1);

    // The app retries the same request (rule H): the same account, and now its message.
    expect((await registration(eu, tenant.name, { email })).status).toBe(201);
    const mail = await nthMailTo(email);
    expect((await eu.fetch(`/t/${tenant.name}/email/verify`, json({ token: linkOf(mail).token }))).status).toBe(204);
  });
});
