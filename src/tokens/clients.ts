import { z } from "@hono/zod-openapi";
import type { Config, PublicClient } from "../config";

/** The app's client id; must be one of the region's registered public clients. */
export const ClientId = z.string().min(1).max(200).openapi({ example: "printid-mobile" });

/** The scopes this issuer grants (discovery's `scopes_supported`). */
export const supportedScopes = ["openid", "profile", "email"] as const;

/** OAuth scope: space-separated, each one supported; `openid` adds an ID token. */
export const ScopeParam = z
  .string()
  .max(100)
  .refine(
    (scope) => scope.split(" ").every((token) => (supportedScopes as readonly string[]).includes(token)),
    `Space-separated, among: ${supportedScopes.join(", ")}`,
  )
  .openapi({ example: "openid" });

export function registeredClient(config: Config, clientId: string): PublicClient | undefined {
  return config.clients.get(clientId);
}
