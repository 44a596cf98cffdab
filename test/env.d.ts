import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    /** Test-only bindings, from vitest.config.ts. */
    interface Env {
      OPERATOR_TOKEN: string;
      DB_US: D1Database;
      US_VARS: { REGION: string; ORIGIN: string; CLIENTS: string };
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
