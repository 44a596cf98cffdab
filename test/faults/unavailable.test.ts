// Rule H: a database that fails or stalls is the service being unavailable, said as the contract says
// (503 unavailable with Retry-After, RFC 6749's shape on /token), within a bounded wait, and never with
// a stack trace, SQL or its parameters.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { testEnv } from "../support/env";
import { faultyD1, faultyRegion } from "../support/faults";
import { problemOf } from "../support/problems";
import { createTenant } from "../support/tenants";
import { eu } from "../support/regions";

describe("H: D1 failing or stalling", () => {
  it("H a D1 error on a public route answers 503 unavailable with Retry-After and a request id", async () => {
    const { name } = await createTenant(eu);
    const { region } = faultyRegion({ kind: "down" });
    const response = await region.fetch(`/t/${name}`);
    const problem = await problemOf(response, 503, "unavailable");
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(problem.detail).toBe("The service is temporarily unavailable: try again in 5 seconds.");
    expect(JSON.stringify(problem)).not.toMatch(/D1_ERROR|select|from|params/i);
  });

  it("H a stalled D1 is given up on within the request's budget: 503, not a 40 s wait", async () => {
    const { name } = await createTenant(eu);
    const { region } = faultyRegion({ kind: "slow", ms: 5_000 }, 300);
    const started = Date.now();
    const response = await region.fetch(`/t/${name}`);
    await problemOf(response, 503, "unavailable");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("H each request has its own D1 budget, also through the database handle and the query an earlier request prepared", async () => {
    const { name } = await createTenant(eu);
    // One binding for every request, as in production: the guarded handle and the prepared tenant read
    // are made at the first request and kept. Each call takes 150 ms; each request may wait 400 ms.
    const { d1 } = faultyD1(testEnv.DB, { kind: "slow", ms: 150 });
    const bindings = { ...testEnv, DB: d1, D1_BUDGET_MS: "400" };
    const tenantCard = async () => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(new Request(`${eu.origin}/t/${name}`), bindings, ctx);
      await waitOnExecutionContext(ctx);
      return response.status;
    };
    expect(await tenantCard()).toBe(200);
    // Past the first request's deadline: a budget kept from it would be spent, and this one refused.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await tenantCard()).toBe(200);
    expect(await Promise.all([tenantCard(), tenantCard(), tenantCard()])).toEqual([200, 200, 200]);
  });

  it("H on /token the outage is RFC 6749's temporarily_unavailable, 503 with Retry-After", async () => {
    const { name } = await createTenant(eu);
    const { region } = faultyRegion({ kind: "down" });
    const response = await region.fetch(`/t/${name}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&refresh_token=x&client_id=printid-mobile",
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "The service is temporarily unavailable: try again in 5 seconds.",
    });
  });

  it("H every answer carries X-Request-Id, success included", async () => {
    const response = await eu.fetch("/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
