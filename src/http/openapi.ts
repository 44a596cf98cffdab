import { resolver } from "hono-openapi";
import * as v from "valibot";
import { errorStatus, type ErrorCode } from "./errors";

const errorCodes = Object.keys(errorStatus) as ErrorCode[];

export const Problem = v.pipe(
  v.object({
    type: v.string(),
    title: v.string(),
    status: v.pipe(v.number(), v.integer()),
    detail: v.string(),
    code: v.picklist(errorCodes),
    errors: v.optional(v.array(v.object({ path: v.string(), message: v.string() }))),
  }),
  v.description("RFC 9457 problem details; `code` is one of the contract's codes."),
  v.metadata({ ref: "Problem" }),
);

/** The OpenAPI `responses` entries for the error codes a route may answer with, grouped by status. */
export function problems(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(errorStatus[code], [...(byStatus.get(errorStatus[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, sameStatus]) => [
      status,
      {
        description: sameStatus.join(", "),
        content: { "application/problem+json": { schema: resolver(Problem) } },
      },
    ]),
  );
}

export function jsonResponse(description: string, schema: v.GenericSchema) {
  return { description, content: { "application/json": { schema: resolver(schema) } } };
}
