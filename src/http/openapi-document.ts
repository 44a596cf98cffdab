import type { generateSpecs } from "hono-openapi";
import type { Config } from "../config";
import { errorStatus, errorTitle, type ErrorCode } from "./errors";

type Operation = {
  operationId?: string;
  security?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  "x-rate-limit"?: string;
};

type SpecsOptions = NonNullable<Parameters<typeof generateSpecs>[1]>;
type OpenAPIObject = Awaited<ReturnType<typeof generateSpecs>>;

/** What /openapi.json says of the whole API: who serves it, and how a caller authenticates. */
export function openApiDocumentation({ origin, region }: Config): SpecsOptions {
  return {
    documentation: {
      info: {
        title: "printid",
        version: "1",
        description: "Sign-in and accounts of the cloud print & scan platform, one region of it.",
      },
      servers: [{ url: origin, description: `Region ${region}` }],
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description: "An access token of this tenant, from /t/{tenant}/sign-in or /t/{tenant}/token",
          },
          operatorToken: { type: "http", scheme: "bearer", description: "The region's OPERATOR_TOKEN secret" },
        },
      },
    },
    // Refusals are described by the routes and by finishDocument, in the contract's shapes.
    defaultValidationErrorResponse: false,
    // The console's pages and this document are not part of the API.
    exclude: [/^\/t\/\{tenant\}\/console/, "/openapi.json"],
  };
}

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

/** Each `{name}` of the path as a parameter, where the route's validators did not already declare it. */
function addPathParameters(operation: Operation, path: string): void {
  operation.parameters ??= [];
  for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
    let parameter = operation.parameters.find((p) => p.in === "path" && p.name === name);
    if (!parameter) {
      parameter = { name: name!, in: "path", required: true, schema: { type: "string" } };
      operation.parameters.push(parameter);
    }
    if (name === "tenant") {
      parameter.description = "The tenant's name: 3–63 characters of a-z, 0-9 and -, matched case-insensitively (Acme finds acme).";
    }
  }
}

/**
 * What every operation of /openapi.json shares, written once instead of in each route: its
 * `operationId`, its path parameters, `security: []` where no credential is needed, and the answers any
 * operation may give (a body too large or of another type, the limit of its client, the database
 * unavailable), in the error shape the operation speaks (RFC 6749's on the OAuth endpoints,
 * problem+json elsewhere).
 */
export function finishDocument(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      operation.operationId = operationIdOf(method, path);
      operation.security ??= [];
      addPathParameters(operation, path);
      // Any request may carry a body, which is refused unread past the limit.
      addAnswer(operation, "payload_too_large");
      if (operation.requestBody) addAnswer(operation, "unsupported_media_type");
      if (path.includes("{tenant}")) addAnswer(operation, "validation_failed");
      if (operation["x-rate-limit"]) addAnswer(operation, "rate_limited");
      addAnswer(operation, "unavailable");
    }
  }
  return document;
}
