import { buildApp } from "./app";
import { configOf, type Bindings } from "./config";
import { databaseOf } from "./db/client";
import { withinD1Budget } from "./db/guard";
import { prune, PRUNE_BUDGET_MS } from "./scheduled";

export { TenantDirectory } from "./tenants/directory";

const app = buildApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    // Every shard of the region at once, each its own database. The clean-up stops itself at its budget;
    // D1's allows its last step to finish. Sign-in attempts are archived to the region's R2 bucket before
    // they are deleted.
    const now = new Date();
    const pruneEveryShard = () => Promise.all(configOf(env).shards.map((d1) => prune(databaseOf(d1), now, { archive: env.ARCHIVE })));
    ctx.waitUntil(withinD1Budget(PRUNE_BUDGET_MS + 10_000, pruneEveryShard));
  },
} satisfies ExportedHandler<Bindings>;
