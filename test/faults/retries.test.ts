// Rule H: a write that committed while its answer was lost (D1 did the work, the Worker saw an error) is
// answered 503, and the client's retry then gets the answer the first request should have got, or a
// clear one; a write that failed leaves nothing half-written. Closes: a retried registration told
// `409 account_exists`, and a tenant name given back to the directory while its tenant exists.
import { describe, expect, it } from "vitest";
import { tenantDirectory } from "../../src/tenants/directory";
import { testEnv as env } from "../support/env";
import { faultyRegion } from "../support/faults";
import { problemOf } from "../support/problems";
import { eu, us } from "../support/regions";
import { countOf } from "../support/rows";
import { createTenant, json, operatorAuth, tenantBody, uniqueSlug } from "../support/tenants";
import { CLIENT_ID } from "../support/users";

describe("H: tenant creation under faults", () => {
  // D1 calls of a creation: 1 is the name free here, 2 the tenant and its admin (one batch), 3 the check after a failure.
  it("H the write's answer lost: the tenant exists, so the creation answers 201 and the name stays claimed", async () => {
    const name = uniqueSlug("lost");
    const { region } = faultyRegion({ kind: "nth", n: 2, lost: true });
    const response = await region.fetch("/operator/tenants", json(tenantBody(name), operatorAuth));
    expect(response.status).toBe(201);
    expect(await countOf(eu, "SELECT count(*) AS n FROM tenants WHERE slug = ?", name)).toBe(1);
    expect(await tenantDirectory(env).homeOf(name)).toEqual({ region: "eu", shard: 1 });
    // Another region cannot take the name.
    await problemOf(await us.fetch("/operator/tenants", json(tenantBody(name), operatorAuth)), 409, "tenant_exists");
  });

  it("H the write's answer lost and the check failing too: 503, the claim is kept, and no other region can take the name", async () => {
    const name = uniqueSlug("unsure");
    const { region } = faultyRegion({ kind: "nth", n: [2, 3], lost: true });
    await problemOf(await region.fetch("/operator/tenants", json(tenantBody(name), operatorAuth)), 503, "unavailable");
    expect(await tenantDirectory(env).homeOf(name)).toEqual({ region: "eu", shard: 1 });
    await problemOf(await us.fetch("/operator/tenants", json(tenantBody(name), operatorAuth)), 409, "tenant_exists");
    // The retry in eu finds the tenant that was written.
    const retry = await problemOf(await eu.fetch("/operator/tenants", json(tenantBody(name), operatorAuth)), 409, "tenant_exists");
    expect(retry.region).toBe("eu");
  });

  it("H the write failing outright: 503, nothing written, and the name is free again for any region", async () => {
    const name = uniqueSlug("failed");
    const { region } = faultyRegion({ kind: "nth", n: 2 });
    await problemOf(await region.fetch("/operator/tenants", json(tenantBody(name), operatorAuth)), 503, "unavailable");
    expect(await countOf(eu, "SELECT count(*) AS n FROM tenants WHERE slug = ?", name)).toBe(0);
    expect(await tenantDirectory(env).homeOf(name)).toBeNull();
    await createTenant(us, name);
  });
});

describe("H: registration under faults", () => {
  const OPEN = { settings: { allowRegistration: true, newUsersActiveByDefault: true } };
  const person = { email: "retry@example.com", password: "a long enough passphrase", username: "retrier", clientId: CLIENT_ID };

  // D1 calls of a registration: 1 the tenant, 2 the free username check or the user, then the session.
  it.each([2, 3])("H the answer of D1 call %i lost: 503, and the same registration retried is 201 with tokens, one account", async (n) => {
    const { name, body } = await createTenant(eu, uniqueSlug("reg"), OPEN);
    const { region } = faultyRegion({ kind: "nth", n, lost: true });
    await problemOf(await region.fetch(`/t/${name}/register`, json(person)), 503, "unavailable");
    const retry = await eu.fetch(`/t/${name}/register`, json(person));
    expect(retry.status).toBe(201);
    const registered = (await retry.json()) as { status: string; access_token: string; user: { username: string } };
    expect(registered).toMatchObject({ status: "active", user: { username: "retrier" } });
    expect(registered.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await countOf(eu, "SELECT count(*) AS n FROM users WHERE tenant_id = ? AND lower(email) = ?", body.id, person.email)).toBe(1);
  });

  it("H a retry with another password is not the same registration: 409 account_exists", async () => {
    const { name } = await createTenant(eu, uniqueSlug("reg"), OPEN);
    expect((await eu.fetch(`/t/${name}/register`, json(person))).status).toBe(201);
    await problemOf(await eu.fetch(`/t/${name}/register`, json({ ...person, password: "another long passphrase" })), 409, "account_exists");
  });
});
