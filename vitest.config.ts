import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { exportJWK, generateKeyPair } from "jose";
import { unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";
import { workerVars } from "./scripts/stand-in-providers.mjs";
import type { OidcServers } from "./test/support/stand-ins.setup";

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

/**
 * Apple, Google and Microsoft as the Worker is configured for them, pointing at the stand-ins that
 * test/support/stand-ins.setup.ts (the globalSetup) starts on 127.0.0.1: client ids, every endpoint, and
 * the secrets. No test reaches the real providers.
 */
function providerBindings(oidc: OidcServers): Record<string, string> {
  return {
    ...workerVars(oidc.apple),
    APPLE_TEAM_ID: oidc.apple.teamId,
    APPLE_KEY_ID: oidc.apple.keyId,
    APPLE_PRIVATE_KEY: oidc.apple.privateKey,
    ...workerVars(oidc.google),
    GOOGLE_CLIENT_SECRET: oidc.google.clientSecret ?? "",
    ...workerVars(oidc.microsoft),
    MICROSOFT_CLIENT_SECRET: oidc.microsoft.clientSecret ?? "",
    // The defaults, written out: a developer's .dev.vars must not change them under the tests.
    MICROSOFT_WORK_TENANT: "organizations",
    MICROSOFT_PERSONAL_TENANT: "consumers",
  };
}

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml", environment: "eu" },
      miniflare: {
        d1Databases: { DB_US: "printid-us-test", DB_US_2: "printid-us-2-test" },
        bindings: {
          ...varsOf("eu"),
          OPERATOR_TOKEN: "test-operator-token",
          SIGNING_KEYS: await signingKeysSecret("eu-test-1"),
          SIGNING_KEYS_US: await signingKeysSecret("us-test-1"),
          US_VARS: varsOf("us"),
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          ...providerBindings(inject("oidc")),
          // Test-only: the stand-ins' configuration, for test/support/oidc.ts to drive and script them.
          OIDC: inject("oidc"),
        },
      },
    })),
  ],
  test: {
    // Stand-ins for Apple, Google and Microsoft (Node side), provided to the pool options above.
    globalSetup: ["./test/support/stand-ins.setup.ts"],
    setupFiles: ["./test/support/setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    // Every error answer logs a line (rule H); show them only for a test that fails.
    silent: "passed-only",
  },
});
