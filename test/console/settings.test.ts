// The console's Settings page (rules R, L, P, S): every setting of the admin API's /admin/settings in one
// form (the switches, e-mail confirmation, providers per account kind, lockout, session time-outs, the refresh
// retry window, attempt retention and cap), saved through the API's own function and checked by its own
// schema, whose bounds the form shows and whose refusals it words. Holes closed: a setting only the API can
// change, a switch that does not reach the API, and a value out of bounds saved from the console.
import { describe, expect, it } from "vitest";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { adminSettings, consoleOf, formFieldsOf, locationOf, page, register, signedInBrowser } from "./support";

describe("settings: every setting of the admin API", () => {
  it("R the switches change the admin API's settings and what a registration gets (202, then 201)", async () => {
    const { name } = await openTenant(eu, { allowRegistration: true, newUsersActiveByDefault: true });
    const browser = await signedInBrowser(name);
    const path = `${consoleOf(name)}/settings`;
    const before = await page(browser, path);
    expect(before.html).toContain('<label for="allowRegistration">Allow users to register in the system</label>');
    expect(before.html).toContain('<label for="newUsersActiveByDefault">New registered users are active by default</label>');
    expect(before.html).toContain('<label for="emailConfirmationRequired">E-mail confirmation required for login</label>');
    const lockoutBefore = (await adminSettings(name)).lockout;

    // Untick "active by default" (an unticked checkbox is simply not sent).
    const { newUsersActiveByDefault: _unticked, ...rest } = formFieldsOf(before.html, path);
    const saved = await browser.post(path, rest);
    expect(locationOf(saved)).toBe(`${path}?done=saved`);
    expect(await adminSettings(name)).toMatchObject({ allowRegistration: true, newUsersActiveByDefault: false, lockout: lockoutBefore });
    expect((await register(name, "first@example.com")).status).toBe(202);
    const after = await page(browser, `${path}?done=saved`);
    expect(after.html).toContain("The settings are saved.");
    expect(after.html).not.toMatch(/id="newUsersActiveByDefault" name="newUsersActiveByDefault" checked/);

    await browser.post(path, { ...formFieldsOf(after.html, path), newUsersActiveByDefault: "on" });
    expect(await adminSettings(name)).toMatchObject({ allowRegistration: true, newUsersActiveByDefault: true });
    expect((await register(name, "second@example.com")).status).toBe(201);
  });

  it("R L P every setting is shown as the API has it, and saved as typed", async () => {
    const { name } = await openTenant(eu);
    const browser = await signedInBrowser(name);
    const path = `${consoleOf(name)}/settings`;
    const { html } = await page(browser, path);
    const fields = formFieldsOf(html, path);
    expect(fields).toMatchObject({
      "lockout.maxAttempts": "5",
      "lockout.lockoutSeconds": "900",
      sessionMaxSeconds: "2592000",
      sessionIdleSeconds: "0",
      refreshTokenReuseSeconds: "30",
      signInAttemptRetentionDays: "90",
      signInAttemptCap: "1000000",
      "work.apple": "on",
      "personal.microsoft": "on",
    });
    // The API's bounds are the form's.
    expect(html).toMatch(/name="lockout.maxAttempts" value="5" min="1" max="100"/);

    const changed = {
      ...fields,
      emailConfirmationRequired: "on",
      "lockout.maxAttempts": "3",
      "lockout.lockoutSeconds": "120",
      sessionMaxSeconds: "86400",
      sessionIdleSeconds: "3600",
      refreshTokenReuseSeconds: "0",
      signInAttemptRetentionDays: "30",
      signInAttemptCap: "5000",
    };
    delete (changed as Record<string, string>)["work.apple"];
    delete (changed as Record<string, string>)["personal.google"];
    expect(locationOf(await browser.post(path, changed))).toBe(`${path}?done=saved`);
    expect(await adminSettings(name)).toMatchObject({
      emailConfirmationRequired: true,
      lockout: { maxAttempts: 3, lockoutSeconds: 120 },
      sessionMaxSeconds: 86400,
      sessionIdleSeconds: 3600,
      refreshTokenReuseSeconds: 0,
      signInAttemptRetentionDays: 30,
      signInAttemptCap: 5000,
      providers: { work: ["google", "microsoft"], personal: ["apple", "microsoft"] },
    });
  });

  it("R a value out of the API's bounds is refused in words (400), the page keeps what was typed, and nothing is saved", async () => {
    const { name } = await openTenant(eu);
    const browser = await signedInBrowser(name);
    const path = `${consoleOf(name)}/settings`;
    const { html } = await page(browser, path);
    const before = await adminSettings(name);
    const response = await browser.post(path, { ...formFieldsOf(html, path), "lockout.maxAttempts": "0", signInAttemptCap: "lots", allowRegistration: "on" });
    expect(response.status).toBe(400);
    const refused = await response.text();
    expect(refused).toContain("Failed attempts before lockout: a whole number from 1 to 100.");
    expect(refused).toContain("Keep at most (attempts): a whole number from 1,000 to 100,000,000.");
    expect(refused).toMatch(/name="signInAttemptCap" value="lots"/);
    expect(await adminSettings(name)).toEqual(before);
  });

  it("M the second factors' policy is set on the page as the API has it: who owes one, which factors, remembered days, a provider's own", async () => {
    const { name } = await openTenant(eu);
    const browser = await signedInBrowser(name);
    const path = `${consoleOf(name)}/settings`;
    const { html } = await page(browser, path);
    const fields = formFieldsOf(html, path);
    expect(fields).toMatchObject({ "mfa.mode": "optional", "mfa.factor.totp": "on", "mfa.factor.email": "on", "mfa.factor.passkey": "on", "mfa.rememberDays": "30" });
    const stored = async () => JSON.parse((await eu.db.prepare("SELECT mfa FROM tenants WHERE slug = ?").bind(name).first<{ mfa: string }>())!.mfa);
    // No factor left allowed: refused in words, nothing saved.
    const none = Object.fromEntries(Object.entries(fields).filter(([key]) => !key.startsWith("mfa.factor.")));
    const refused = await browser.post(path, none);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Second factors: allow at least one factor.");
    expect((await stored()).factors).toEqual(["totp", "email", "passkey"]);
    const { "mfa.factor.email": _email, ...withoutEmail } = fields;
    const saved = await browser.post(path, { ...withoutEmail, "mfa.mode": "admins", "mfa.rememberDays": "7", "mfa.trustProviderMfa": "on" });
    expect(locationOf(saved)).toBe(`${path}?done=saved`);
    // Stored (read from the tenant's row: the admin now owes a second factor they have not set up, and
    // their console session, which passed none, ends).
    expect(await stored()).toEqual({ mode: "admins", factors: ["totp", "passkey"], rememberDays: 7, trustProviderMfa: true });
    expect(locationOf(await browser.get(path))).toBe(`${consoleOf(name)}/sign-in`);
  });
});
