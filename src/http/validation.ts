import type { Hook } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { AppEnv } from "./context";
import { AppError, type FieldError } from "./errors";

/** Zod's issues as the contract's `errors: [{ path, message }]`; the path is dotted (`admin.email`). */
export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

export function validationFailed(errors: FieldError[], detail = "Some fields are not valid"): AppError {
  return new AppError("validation_failed", { detail, errors });
}

/**
 * The hook every route's validators share: a body, query or path parameter that fails its schema becomes
 * `400 validation_failed` before the handler runs.
 */
// `any`: one hook serves routes of every input and path type.
export const rejectInvalidInput: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) throw validationFailed(fieldErrors(result.error));
};
