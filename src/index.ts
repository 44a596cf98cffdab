import { buildApp } from "./app";
import type { Bindings } from "./config";
import { database } from "./db/client";
import { prune } from "./scheduled";

export { TenantDirectory } from "./tenants/directory";

const app = buildApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(prune(database(env.DB)));
  },
} satisfies ExportedHandler<Bindings>;
