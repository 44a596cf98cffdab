import { applyD1Migrations, env } from "cloudflare:test";

// The real migrations, in both regions' databases (idempotent: applied ones are recorded).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await applyD1Migrations(env.DB_US, env.TEST_MIGRATIONS);
