import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { createHash, randomBytes } from "node:crypto";
import { unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";
import { newSigningKeys } from "./scripts/signing-keys.mjs";
import { workerVars } from "./scripts/stand-in-providers.mjs";
import type { OidcServers } from "./test/support/stand-ins.setup";

/**
 * Both regions in one run, inside workerd. The eu Worker is the one under test, built from wrangler.toml's
 * `env.eu` (so it hosts the tenant directory, as in production). The us Worker is the same code with the
 * us environment's vars and a second D1 database: the tests call it with those bindings (test/support).
 */
/**
 * The confidential test client's secret, fresh each run: its SHA-256 is registered, the tests get it as
 * `TEST_WEB_CLIENT_SECRET`. Its `+`, `/`, `:` and `é` must survive HTTP Basic's form-urlencoding.
 */
const webClientSecret = `${randomBytes(24).toString("base64url")}+/:é`;

/**
 * Clients the tests register beside wrangler.toml's (the app, printid-mobile): a confidential web client,
 * a public client that asks for ES256 ID tokens, and a public client allowed only the code grant and
 * fewer scopes (tokens/clients.ts).
 */
const testClients = [
  {
    id: "printid-web",
    name: "printid web (test)",
    redirectUris: ["https://web.printid.example/callback"],
    postLogoutRedirectUris: ["https://web.printid.example/signed-out"],
    secretHash: createHash("sha256").update(webClientSecret).digest("base64url"),
  },
  { id: "printid-es256", redirectUris: ["com.printid.es256:/oauth/callback"], idTokenSignedResponseAlg: "ES256" },
  { id: "printid-codes-only", redirectUris: ["com.printid.limited:/oauth/callback"], grantTypes: ["authorization_code"], scopes: ["openid", "profile"] },
];

/** A region's vars exactly as wrangler.toml has them (a developer's .dev.vars must not leak into tests), plus the test clients. */
function varsOf(env: "eu" | "us") {
  const vars = unstable_readConfig({ config: "wrangler.toml", env }).vars as Record<string, string>;
  return { ...vars, CLIENTS: JSON.stringify([...JSON.parse(vars.CLIENTS!), ...testClients]) };
}

/** Fresh signing keys per region and run (an EC and an RSA key), as the SIGNING_KEYS secret holds them. */
const signingKeysSecret = (kid: string) => JSON.stringify(newSigningKeys(kid));

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
        // Test-only: `EMAIL` records what is sent (and fails on cue) instead of wrangler.toml's Email
        // Service binding, whose local simulation keeps messages where the tests cannot read them.
        // (Setting send_email to undefined removes wrangler.toml's binding: miniflare merges these options
        // into wrangler's one level deep.)
        email: { send_email: undefined },
        workers: [{ name: "mail-recorder", modules: true, scriptPath: "./test/support/mail-recorder.mjs" }],
        serviceBindings: { EMAIL: { name: "mail-recorder", entrypoint: "MailRecorder" } },
        bindings: {
          ...varsOf("eu"),
          OPERATOR_TOKEN: "test-operator-token",
          SIGNING_KEYS: signingKeysSecret("eu-test-1"),
          SIGNING_KEYS_US: signingKeysSecret("us-test-1"),
          CREDENTIAL_LOOKUP_KEY: randomBytes(32).toString("base64url"),
          CREDENTIAL_LOOKUP_KEY_US: randomBytes(32).toString("base64url"),
          TEST_WEB_CLIENT_SECRET: webClientSecret,
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
