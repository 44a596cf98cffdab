import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import type { Bindings } from "../../src/config";
import worker from "../../src/index";
import { testEnv as env } from "./env";

export type RegionName = "eu" | "us";

/** The us Worker's bindings: its own vars and D1, and the eu-hosted directory it binds in production. */
const usEnv: Bindings = { ...env, ...env.US_VARS, DB: env.DB_US, DB_2: env.DB_US_2, SIGNING_KEYS: env.SIGNING_KEYS_US, CREDENTIAL_LOOKUP_KEY: env.CREDENTIAL_LOOKUP_KEY_US };

export interface Region {
  name: RegionName;
  origin: string;
  /** Shard 1, where test tenants live unless a test says otherwise (support/tenants.ts). */
  db: D1Database;
  /** Every shard, shard 1 first. */
  shards: D1Database[];
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

function origin(name: RegionName) {
  return name === "eu" ? env.ORIGIN : env.US_VARS.ORIGIN;
}

export const eu: Region = {
  name: "eu",
  origin: origin("eu"),
  db: env.DB,
  shards: [env.DB, env.DB_2],
  // Through the eu Worker's own entrypoint, as the runtime serves it.
  fetch: (path, init) => exports.default.fetch(new Request(origin("eu") + path, init)),
};

export const us: Region = {
  name: "us",
  origin: origin("us"),
  db: env.DB_US,
  shards: [env.DB_US, env.DB_US_2],
  fetch: async (path, init) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(origin("us") + path, init), usEnv, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  },
};

export const regions = { eu, us } as const;
