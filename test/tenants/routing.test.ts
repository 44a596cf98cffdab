// Rule T and the tenant card: every /t/{tenant} route resolves its tenant once, in this region only, and
// tells a client who typed a name of another region where that tenant lives.
import { describe, expect, it } from "vitest";
import { eu, us } from "../support/regions";
import { createTenant, uniqueSlug } from "../support/tenants";

describe("GET /t/{tenant}", () => {
  it("T answers the tenant card of a tenant of this region", async () => {
    const { name } = await createTenant(eu, uniqueSlug("card"), {
      settings: { allowRegistration: true, newUsersActiveByDefault: true },
    });
    const response = await eu.fetch(`/t/${name}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      tenant: name,
      displayName: `Tenant ${name}`,
      region: "eu",
      registrationAllowed: true,
      // The test Worker has credentials for all three providers (the stand-ins of test/support/stand-ins.setup.ts),
      // and a new tenant offers each for both kinds of account.
      signIn: { work: ["password", "apple", "google", "microsoft"], personal: ["password", "apple", "google", "microsoft"] },
      // What the tenant's printer panels offer: by default a PIN or a card alone.
      panel: { methods: ["pin", "card"], cardNeedsPin: false },
    });
  });

  it("T the personal sign-in list is empty while registration is not allowed", async () => {
    const { name } = await createTenant(eu);
    const card = (await (await eu.fetch(`/t/${name}`)).json()) as { registrationAllowed: boolean; signIn: object };
    expect(card.registrationAllowed).toBe(false);
    expect(card.signIn).toEqual({ work: ["password", "apple", "google", "microsoft"], personal: [] });
  });

  it("T tenant names are case-insensitive", async () => {
    const { name } = await createTenant(eu);
    const response = await eu.fetch(`/t/${name.toUpperCase()}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { tenant: string }).tenant).toBe(name);
  });

  it.each(["ab", "-acme", "acme-", "ac_me", "a".repeat(64), "acmé"])(
    "T a malformed name (%s) is 400 validation_failed",
    async (slug) => {
      const response = await eu.fetch(`/t/${encodeURIComponent(slug)}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
      const problem = (await response.json()) as { code: string; errors: { path: string }[] };
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors[0]?.path).toBe("tenant");
    },
  );

  it("T an unknown name is 404 tenant_not_found with no region", async () => {
    const response = await eu.fetch(`/t/${uniqueSlug("nobody")}`);
    expect(response.status).toBe(404);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem.code).toBe("tenant_not_found");
    expect(problem).not.toHaveProperty("region");
  });

  it("T a tenant of the other region is 404 tenant_not_found naming its home region, both ways", async () => {
    const inEu = await createTenant(eu);
    const inUs = await createTenant(us);

    const fromUs = await us.fetch(`/t/${inEu.name}`);
    expect(fromUs.status).toBe(404);
    expect(await fromUs.json()).toMatchObject({ code: "tenant_not_found", region: "eu" });

    const fromEu = await eu.fetch(`/t/${inUs.name}/.well-known/openid-configuration`);
    expect(fromEu.status).toBe(404);
    expect(await fromEu.json()).toMatchObject({ code: "tenant_not_found", region: "us" });
  });

  it("T nothing of a tenant is stored in the other region's database", async () => {
    const { name } = await createTenant(eu);
    const elsewhere = await us.db.prepare("SELECT count(*) AS n FROM tenants WHERE slug = ?").bind(name).first();
    expect(elsewhere).toEqual({ n: 0 });
  });

  it("T a disabled tenant is 403 tenant_disabled", async () => {
    const { name } = await createTenant(eu);
    await eu.db.prepare("UPDATE tenants SET enabled = 0 WHERE slug = ?").bind(name).run();
    const response = await eu.fetch(`/t/${name}`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "tenant_disabled" });
  });
});

describe("GET /health", () => {
  it("names the region that answers", async () => {
    expect(await (await eu.fetch("/health")).json()).toEqual({ status: "ok", region: "eu" });
    expect(await (await us.fetch("/health")).json()).toEqual({ status: "ok", region: "us" });
  });
});
