import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { exportJWK, generateKeyPair } from "jose";
import { unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";

/**
 * Both regions in one run, inside workerd. The eu Worker is the one under test, built from wrangler.toml's
 * `env.eu` (so it hosts the tenant directory, as in production). The us Worker is the same code with the
 * us environment's vars and a second D1 database: the tests call it with those bindings (test/support).
 */
/** A region's vars exactly as wrangler.toml has them: a developer's .dev.vars must not leak into tests. */
const varsOf = (env: "eu" | "us") => unstable_readConfig({ config: "wrangler.toml", env }).vars;

/** A fresh ES256 signing key per region and run, as the SIGNING_KEYS secret holds it. */
async function signingKeysSecret(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return JSON.stringify([{ ...(await exportJWK(privateKey)), kid }]);
}

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml", environment: "eu" },
      miniflare: {
        d1Databases: { DB_US: "printid-us-test" },
        bindings: {
          ...varsOf("eu"),
          OPERATOR_TOKEN: "test-operator-token",
          SIGNING_KEYS: await signingKeysSecret("eu-test-1"),
          SIGNING_KEYS_US: await signingKeysSecret("us-test-1"),
          US_VARS: varsOf("us"),
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
