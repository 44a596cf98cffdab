import { buildApp } from "./app";
import type { Bindings } from "./config";
import { databaseOf } from "./db/client";
import { DEFAULT_D1_BUDGET_MS, withinD1Budget } from "./db/guard";
import { prune } from "./scheduled";

export { TenantDirectory } from "./tenants/directory";

const app = buildApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    // A whole run of the clean-up gets one request's budget; past it, it stops and the next day resumes.
    ctx.waitUntil(withinD1Budget(DEFAULT_D1_BUDGET_MS, () => prune(databaseOf(env.DB))));
  },
} satisfies ExportedHandler<Bindings>;
