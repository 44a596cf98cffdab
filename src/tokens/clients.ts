import { z } from "@hono/zod-openapi";
import type { Config, PublicClient } from "../config";

/** The app's client id; must be one of the region's registered public clients. */
export const ClientId = z.string().min(1).max(200).openapi({ example: "printid-mobile" });

/** OAuth scope: space-separated tokens; `openid` adds an ID token. */
export const ScopeParam = z
  .string()
  .max(500)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, "Space-separated scope tokens")
  .openapi({ example: "openid" });

export function registeredClient(config: Config, clientId: string): PublicClient | undefined {
  return config.clients.get(clientId);
}
