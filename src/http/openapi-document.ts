import type { OpenAPIHono } from "@hono/zod-openapi";
import { errorStatus, errorTitle, type ErrorCode } from "./errors";

/**
 * What every operation of /openapi.json shares, written once instead of in each route: its
 * `operationId`, `security: []` where no credential is needed, and the answers any operation may give
 * (a body too large or of another type, the limit of its client, the database unavailable), in the
 * error shape the operation speaks (RFC 6749's on the OAuth endpoints, problem+json elsewhere).
 */
type Operation = {
  operationId?: string;
  security?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  parameters?: { name?: string; in?: string; description?: string }[];
};

type OpenAPIObject = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** `post /t/{tenant}/admin/users/{id}` → `postTenantAdminUsersById`: stable, unique, readable. */
function operationIdOf(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((segment) => segment && segment !== "t")
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment)?.[1];
      if (param === "tenant") return "tenant";
      return param ? `by-${param}` : segment.replace(/^\./, "");
    })
    .join("-");
  return (method + "-" + words).replace(/[-_.]+(\w)/g, (_, letter: string) => letter.toUpperCase());
}

const problem = { $ref: "#/components/schemas/Problem" };

function errorAnswer(operation: Operation, code: ErrorCode): { description: string; content: Record<string, { schema: unknown }> } {
  // The OAuth endpoints already describe their 400 in RFC 6749's shape: their other errors share it.
  const oauth = operation.responses?.["400"]?.content?.["application/json"];
  const content: Record<string, { schema: unknown }> = oauth ? { "application/json": oauth } : { "application/problem+json": { schema: problem } };
  return { description: oauth ? `${errorTitle[code]}, in RFC 6749's shape` : `${code}: ${errorTitle[code]}`, content };
}

function addAnswer(operation: Operation, code: ErrorCode): void {
  operation.responses ??= {};
  operation.responses[String(errorStatus[code])] ??= errorAnswer(operation, code);
}

export function finishDocument(document: OpenAPIObject, rateLimited: ReadonlySet<string>): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      operation.operationId ??= operationIdOf(method, path);
      operation.security ??= [];
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === "path" && parameter.name === "tenant") {
          parameter.description = "The tenant's name: 3–63 characters of a-z, 0-9 and -, matched case-insensitively (Acme finds acme).";
        }
      }
      // Any request may carry a body, which is refused unread past the limit.
      addAnswer(operation, "payload_too_large");
      if (operation.requestBody) addAnswer(operation, "unsupported_media_type");
      if (path.includes("{tenant}")) addAnswer(operation, "validation_failed");
      if (rateLimited.has(`${method} ${path}`)) addAnswer(operation, "rate_limited");
      addAnswer(operation, "unavailable");
    }
  }
  return document;
}
