import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import type { Bindings } from "../../src/config";
import worker from "../../src/index";
import { testEnv as env } from "./env";

export type RegionName = "eu" | "us";

/** The us Worker's bindings: its own vars and D1, and the eu-hosted directory it binds in production. */
const usEnv: Bindings = { ...env, ...env.US_VARS, DB: env.DB_US, SIGNING_KEYS: env.SIGNING_KEYS_US };

export interface Region {
  name: RegionName;
  origin: string;
  db: D1Database;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

function origin(name: RegionName) {
  return name === "eu" ? env.ORIGIN : env.US_VARS.ORIGIN;
}

export const eu: Region = {
  name: "eu",
  origin: origin("eu"),
  db: env.DB,
  // Through the eu Worker's own entrypoint, as the runtime serves it.
  fetch: (path, init) => exports.default.fetch(new Request(origin("eu") + path, init)),
};

export const us: Region = {
  name: "us",
  origin: origin("us"),
  db: env.DB_US,
  fetch: async (path, init) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(origin("us") + path, init), usEnv, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  },
};

export const regions = { eu, us } as const;
