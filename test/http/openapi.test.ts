// The API description is generated from the routes' own schemas, so it can describe every route there is.
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { eu, us } from "../support/regions";

type OpenApi = { openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, unknown>> };

describe("GET /openapi.json", () => {
  it("describes every route of the app, and nothing else", async () => {
    const doc = (await (await eu.fetch("/openapi.json")).json()) as OpenApi;
    expect(doc.openapi).toBe("3.1.0");

    const routes = buildApp()
      // The admin console's, the hosted sign-in's, the message links' and the device verification routes are
      // HTML pages for a browser, not API: they are not described (discovery describes the OpenID Provider's
      // endpoints). The device page is /t/{tenant}/device itself; the device API lives beneath it.
      .routes.filter(
        (route) =>
          route.method !== "ALL" &&
          route.path !== "/openapi.json" &&
          !/^\/t\/:tenant\/(console|authorize|logout|account)(\/|$)/.test(route.path) &&
          !/^\/t\/:tenant\/device\/?$/.test(route.path),
      )
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`);
    const described = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(described.sort()).toEqual([...new Set(routes)].sort());
    expect(described).toEqual(expect.arrayContaining(["get /health", "get /t/{tenant}", "post /operator/tenants"]));
  });

  it("names the answering region's origin as its server", async () => {
    const euDoc = (await (await eu.fetch("/openapi.json")).json()) as OpenApi;
    const usDoc = (await (await us.fetch("/openapi.json")).json()) as OpenApi;
    expect(euDoc.servers[0]?.url).toBe(eu.origin);
    expect(usDoc.servers[0]?.url).toBe(us.origin);
  });

  type Operation = {
    operationId?: string;
    security?: unknown[];
    requestBody?: unknown;
    parameters?: { name: string; in: string; description?: string }[];
    responses: Record<string, { content?: Record<string, unknown> }>;
  };
  const operationsOf = async () => {
    const doc = (await (await eu.fetch("/openapi.json")).json()) as { paths: Record<string, Record<string, Operation>> };
    return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ key: `${method} ${path}`, operation })));
  };

  it("gives every operation a unique operationId, and says `security: []` where no credential is needed", async () => {
    const operations = await operationsOf();
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const byKey = Object.fromEntries(operations.map(({ key, operation }) => [key, operation]));
    expect(byKey["post /t/{tenant}/sign-in"]?.operationId).toBe("postTenantSignIn");
    expect(byKey["get /t/{tenant}/admin/users/{id}"]?.operationId).toBe("getTenantAdminUsersById");
    expect(byKey["post /t/{tenant}/sign-in"]?.security).toEqual([]);
    expect(byKey["get /t/{tenant}/me"]?.security).toEqual([{ bearer: [] }]);
  });

  it("H documents 413 and 415 for every body, 429 on the rate-limited routes and 503 everywhere, in the route's error shape", async () => {
    for (const { key, operation } of await operationsOf()) {
      expect(operation.responses["503"], key).toBeDefined();
      if (operation.requestBody) {
        expect(operation.responses["413"], key).toBeDefined();
        expect(operation.responses["415"], key).toBeDefined();
      }
    }
    const byKey = Object.fromEntries((await operationsOf()).map(({ key, operation }) => [key, operation]));
    expect(Object.keys(byKey["post /t/{tenant}/sign-in"]!.responses["429"]!.content!)).toEqual(["application/problem+json"]);
    expect(Object.keys(byKey["post /t/{tenant}/token"]!.responses["415"]!.content!)).toEqual(["application/json"]);
    expect(byKey["get /t/{tenant}/me"]!.responses["429"]).toBeUndefined();
  });

  it("says that tenant names are matched case-insensitively", async () => {
    const tenantParameters = (await operationsOf()).flatMap(({ operation }) => (operation.parameters ?? []).filter((p) => p.name === "tenant"));
    expect(tenantParameters.length).toBeGreaterThan(10);
    expect(tenantParameters.every((p) => /case-insensitively/.test(p.description ?? ""))).toBe(true);
  });
});
