import { expect } from "vitest";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
  region?: string;
}

/** Asserts a problem+json answer with this status and code, and returns it. */
export async function problemOf(response: Response, status: number, code: string): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  const problem = (await response.json()) as Problem;
  expect(problem.code).toBe(code);
  return problem;
}
