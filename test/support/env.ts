import { env, type D1Migration } from "cloudflare:test";
import type { Bindings } from "../../src/config";
import type { OidcServers } from "./stand-ins.setup";

/** The eu Worker's bindings as the tests see them, with the test-only ones from vitest.config.ts. */
export interface TestEnv extends Bindings {
  OPERATOR_TOKEN: string;
  SIGNING_KEYS: string;
  /** The eu Worker's second shard (wrangler.toml binds two per region). */
  DB_2: D1Database;
  /** The us Worker's own databases (shards 1 and 2), vars and signing keys. */
  DB_US: D1Database;
  DB_US_2: D1Database;
  US_VARS: { REGION: string; ORIGIN: string; CLIENTS: string };
  SIGNING_KEYS_US: string;
  CREDENTIAL_LOOKUP_KEY_US: string;
  /** The secret of the confidential test client `printid-web` (vitest.config.ts registers its hash). */
  TEST_WEB_CLIENT_SECRET: string;
  TEST_MIGRATIONS: D1Migration[];
  /** The stand-ins for Apple, Google and Microsoft (test/support/stand-ins.setup.ts). */
  OIDC: OidcServers;
}

export const testEnv = env as unknown as TestEnv;
