import * as v from "valibot";
import type { Config, PublicClient } from "../config";

/** The app's client id; must be one of the region's registered public clients. */
export const ClientId = v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.metadata({ example: "printid-mobile" }));

/** The scopes this issuer grants (discovery's `scopes_supported`). */
export const supportedScopes = ["openid", "profile", "email"] as const;

/** OAuth scope: space-separated, each one supported; `openid` adds an ID token. */
export const ScopeParam = v.pipe(
  v.string(),
  v.maxLength(100),
  v.check(
    (scope) => scope.split(" ").every((token) => (supportedScopes as readonly string[]).includes(token)),
    `Space-separated, among: ${supportedScopes.join(", ")}`,
  ),
  v.metadata({ example: "openid" }),
);

export function registeredClient(config: Config, clientId: string): PublicClient | undefined {
  return config.clients.get(clientId);
}
