// Types of stand-in-providers.mjs, for the tests (TypeScript).
import type { ProviderName } from "./stand-in-people.mjs";

export type { ProviderName } from "./stand-in-people.mjs";
export type FailMode = "token-endpoint-500" | "token-endpoint-down" | "invalid-grant" | "no-id-token";

/** What a stand-in is told. */
export interface StandInSettings {
  name: ProviderName;
  /** A fixed port; none (or 0): any free one. */
  port?: number;
  /** The web (redirect flow) client: the only one the token endpoint accepts. */
  clientId: string;
  /** The native SDK flow's audiences; /stand-in/mint uses the first. */
  nativeClientIds: string[];
  /** Google, Microsoft: checked at the token endpoint when given. */
  clientSecret?: string;
  /** Apple: its client-secret JWT is checked against these when given. */
  appleTeam?: { teamId: string; keyId: string };
  /** Who signs in when the authorization request has no login_hint; none: a new bare identity per code. */
  defaultLogin?: string;
  /** Microsoft: advertise login.microsoftonline.com's per-directory endpoints and issuer. */
  microsoftDirectories?: boolean;
}

/** A stand-in as the Worker's bindings name a provider. */
export interface StandInConfig {
  name: ProviderName;
  /** http://127.0.0.1:<port>: the scripting endpoints (/stand-in/…) are here. */
  origin: string;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  clientId: string;
  nativeClientIds: string[];
  clientSecret?: string;
}

export const labels: Record<ProviderName, string>;
export const failModes: readonly FailMode[];
export function configOf(settings: StandInSettings, port?: number): StandInConfig;
export function workerVars(config: StandInConfig): Record<string, string>;
export function startStandIns(settings: StandInSettings[]): Promise<{ configs: Record<ProviderName, StandInConfig>; stop: () => Promise<unknown> }>;
