import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { defineConfig } from "vitest/config";

/**
 * Both regions in one run, inside workerd. The eu Worker is the one under test, built from wrangler.toml's
 * `env.eu` (so it hosts the tenant directory, as in production). The us Worker is the same code with the
 * us environment's vars and a second D1 database: the tests call it with those bindings (test/support).
 */
const usVars = unstable_getMiniflareWorkerOptions("wrangler.toml", "us").workerOptions.bindings;

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml", environment: "eu" },
      miniflare: {
        d1Databases: { DB_US: "printid-us-test" },
        bindings: {
          OPERATOR_TOKEN: "test-operator-token",
          US_VARS: usVars,
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
        },
      },
    })),
  ],
  test: {
    setupFiles: ["./test/support/setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
