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
      // The admin console's routes are HTML pages for a browser, not API: they are not described.
      .routes.filter(
        (route) =>
          route.method !== "ALL" && route.path !== "/openapi.json" && !route.path.startsWith("/t/:tenant/console"),
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
});
