import { buildApp } from "./app";
import type { Bindings } from "./config";
import { databaseOf } from "./db/client";
import { withinD1Budget } from "./db/guard";
import { prune, PRUNE_BUDGET_MS } from "./scheduled";

export { TenantDirectory } from "./tenants/directory";

const app = buildApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    // The clean-up stops itself at its budget; D1's allows its last step to finish. Sign-in attempts are
    // archived to the region's R2 bucket before they are deleted.
    ctx.waitUntil(withinD1Budget(PRUNE_BUDGET_MS + 10_000, () => prune(databaseOf(env.DB), new Date(), { archive: env.ARCHIVE })));
  },
} satisfies ExportedHandler<Bindings>;
