import { createFactory } from "hono/factory";
import type { AppEnv } from "./context";

/**
 * A room's route: its OpenAPI description (`describeRoute`), its validators and its handler, typed
 * together in one tuple. The room owns what the route does; `app.ts` mounts the tuple on its method and
 * path, behind the guard that says who may call it.
 */
export const defineRoute = createFactory<AppEnv>().createHandlers;
