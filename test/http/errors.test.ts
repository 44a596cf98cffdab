// The error model: every failure is an RFC 9457 problem with one of the contract's codes, never a stack
// trace, and a body the service cannot or will not read is refused before any handler runs.
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/app";
import { eu } from "../support/regions";
import { operatorAuth, tenantBody, uniqueSlug } from "../support/tenants";

async function problemOf(response: Response) {
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ status: response.status, type: `urn:printid:error:${problem.code}` });
  expect(typeof problem.title).toBe("string");
  expect(typeof problem.detail).toBe("string");
  return problem;
}

const createTenant = (init: RequestInit) =>
  eu.fetch("/operator/tenants", { method: "POST", ...init, headers: { ...operatorAuth, ...init.headers } });

describe("problem+json", () => {
  it("an unknown route is 404 not_found", async () => {
    for (const [method, path] of [["GET", "/nowhere"], ["DELETE", "/health"], ["GET", "/t"]] as const) {
      const response = await eu.fetch(path, { method });
      expect(response.status).toBe(404);
      expect(await problemOf(response)).toMatchObject({ code: "not_found" });
    }
  });

  it("malformed JSON is 400 validation_failed", async () => {
    const response = await createTenant({ headers: { "Content-Type": "application/json" }, body: '{"name": "x",' });
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({ code: "validation_failed" });
  });

  it("a JSON body that is not an object is 400 validation_failed", async () => {
    const response = await createTenant({ headers: { "Content-Type": "application/json" }, body: "[1,2]" });
    expect(response.status).toBe(400);
  });

  it("a JSON body sent with another content type is refused, never read as {}", async () => {
    const body = JSON.stringify(tenantBody(uniqueSlug()));
    const typed = await createTenant({ headers: { "Content-Type": "text/plain" }, body });
    expect(typed.status).toBe(415);
    expect(await problemOf(typed)).toMatchObject({ code: "unsupported_media_type" });

    const untyped = await createTenant({ body: new TextEncoder().encode(body) });
    expect(untyped.status).toBe(415);
  });

  it("an empty body is 400 validation_failed", async () => {
    const response = await createTenant({ headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(400);
  });

  it("a body over the limit is 413 payload_too_large, with or without a Content-Length", async () => {
    const oversized = JSON.stringify({ ...tenantBody(uniqueSlug()), padding: "x".repeat(MAX_BODY_BYTES) });
    const declared = await createTenant({ headers: { "Content-Type": "application/json" }, body: oversized });
    expect(declared.status).toBe(413);
    expect(await problemOf(declared)).toMatchObject({ code: "payload_too_large" });

    const streamed = await createTenant({
      headers: { "Content-Type": "application/json" },
      body: new Blob([oversized]).stream(),
      // @ts-expect-error -- workerd needs to be told a streamed request body is half-duplex.
      duplex: "half",
    });
    expect(streamed.status).toBe(413);
  });

  it("validation errors list each field with its path", async () => {
    const response = await createTenant({
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "ok-name", displayName: "", admin: { username: "a", email: "x", password: "y" } }),
    });
    const problem = await problemOf(response);
    const paths = (problem.errors as { path: string; message: string }[]).map((error) => error.path).sort();
    expect(paths).toEqual(["admin.email", "admin.password", "admin.username", "displayName"]);
  });
});
