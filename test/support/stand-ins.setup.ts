// Vitest globalSetup, run in Node (not in workerd): the stand-ins for Apple, Google and Microsoft
// (scripts/stand-in-providers.mjs) on random ports, with the test Worker's clients, secrets and Apple team,
// so that their token endpoints check what the Worker sends. vitest.config.ts points the Worker at them;
// test/support/oidc.ts drives and scripts them from inside workerd.
import { exportPKCS8, generateKeyPair } from "jose";
import type { TestProject } from "vitest/node";
import { startStandIns, type StandInConfig } from "../../scripts/stand-in-providers.mjs";

export interface AppleCredentials {
  teamId: string;
  keyId: string;
  /** PKCS#8 PEM of an EC P-256 key: APPLE_PRIVATE_KEY. */
  privateKey: string;
}

/** What this setup provides (`inject('oidc')`), and what the OIDC test binding holds. */
export interface OidcServers {
  apple: StandInConfig & AppleCredentials;
  google: StandInConfig;
  microsoft: StandInConfig;
}

declare module "vitest" {
  export interface ProvidedContext {
    oidc: OidcServers;
  }
}

const appleTeam = { teamId: "TEAM123456", keyId: "KEY1234567" };

export default async function setup(project: TestProject) {
  const { configs, stop } = await startStandIns([
    { name: "apple", clientId: "com.printid.web", nativeClientIds: ["com.printid.app"], appleTeam },
    { name: "google", clientId: "google-web-client", nativeClientIds: ["google-ios-client", "google-android-client"], clientSecret: "google-secret" },
    { name: "microsoft", clientId: "microsoft-web-client", nativeClientIds: ["microsoft-native-client"], clientSecret: "microsoft-secret" },
  ]);
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  project.provide("oidc", {
    apple: { ...configs.apple, ...appleTeam, privateKey: await exportPKCS8(privateKey) },
    google: configs.google,
    microsoft: configs.microsoft,
  });
  return stop;
}
