import { applyD1Migrations } from "cloudflare:test";
import { testEnv } from "./env";

// The real migrations, in both regions' databases (idempotent: applied ones are recorded).
await applyD1Migrations(testEnv.DB, testEnv.TEST_MIGRATIONS);
await applyD1Migrations(testEnv.DB_US, testEnv.TEST_MIGRATIONS);
