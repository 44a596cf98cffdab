import { applyD1Migrations } from "cloudflare:test";
import { testEnv } from "./env";

// The real migrations, in every shard of both regions (idempotent: applied ones are recorded).
for (const shard of [testEnv.DB, testEnv.DB_2, testEnv.DB_US, testEnv.DB_US_2]) {
  await applyD1Migrations(shard, testEnv.TEST_MIGRATIONS);
}
