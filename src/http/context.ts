import type { Bindings, Config } from "../config";
import type { Database } from "../db/client";
import type { Tenant } from "../db/schema";

/** The Hono environment every route shares: bindings, and the variables middleware publishes. */
export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    config: Config;
    db: Database;
    /** Set by `tenantRoute()` on every `/t/{tenant}` route. */
    tenant: Tenant;
  };
}
