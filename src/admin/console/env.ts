import type { Context } from "hono";
import type { AppEnv } from "../../http/context";

/** Console handlers run in the app's own environment (config, db; tenant and principal once signed in). */
export type ConsoleContext = Context<AppEnv>;

/** The console of a tenant lives under its canonical (lower-case) name: cookies are scoped to this path. */
export function consolePath(slug: string): string {
  return `/t/${slug}/console`;
}
