import { buildApp } from "./app";

export { TenantDirectory } from "./tenants/directory";

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<import("./config").Bindings>;
