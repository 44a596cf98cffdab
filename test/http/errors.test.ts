// The error model: every failure is an RFC 9457 problem with one of the contract's codes, never a stack
// trace, and a body the service cannot or will not read is refused before any handler runs.
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/app";
import { eu } from "../support/regions";
import { createTenant as createTenantIn, operatorAuth, tenantBody, uniqueSlug } from "../support/tenants";

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

  it("malformed JSON is 400 validation_failed, with errors naming no field and a sentence as detail", async () => {
    const response = await createTenant({ headers: { "Content-Type": "application/json" }, body: '{"name": "x",' });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ code: "validation_failed", errors: [{ path: "", message: problem.detail }] });
    expect(problem.detail).toMatch(/^The request could not be read: .+\.$/);
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

describe("H: the OAuth endpoints answer every 4xx in RFC 6749's shape", () => {
  const oauthError = async (response: Response, status: number, error: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as { error: string; error_description: string };
    expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
    expect(body.error).toBe(error);
    expect(body.error_description).toMatch(/^[A-Z].*[.!?]$/);
    return body;
  };

  it.each(["token", "revoke"])("/%s: a body of another type is 415 invalid_request, an oversized one 413 invalid_request", async (endpoint) => {
    const { name } = await createTenantIn(eu);
    await oauthError(await eu.fetch(`/t/${name}/${endpoint}`, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "token=x" }), 415, "invalid_request");
    const big = `token=${"x".repeat(MAX_BODY_BYTES)}&grant_type=refresh_token`;
    await oauthError(
      await eu.fetch(`/t/${name}/${endpoint}`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: big }),
      413,
      "invalid_request",
    );
    await oauthError(await eu.fetch(`/t/${name}/${endpoint}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" }), 400, "invalid_request");
  });

  it("/token of an unknown tenant is 400 invalid_request saying which tenant (RFC 6749 §5.2)", async () => {
    const response = await eu.fetch(`/t/${uniqueSlug("none")}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&refresh_token=x&client_id=printid-mobile",
    });
    const body = await oauthError(response, 400, "invalid_request");
    expect(body.error_description).toMatch(/^There is no tenant 'none-[0-9a-f]{8}'\.$/);
  });
});
