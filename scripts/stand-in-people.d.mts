// Types of stand-in-people.mjs, for the tests (TypeScript).
export type ProviderName = "apple" | "google" | "microsoft";
/** A Microsoft account's directory: the consumers one (personal), or a work directory. */
export interface Directory {
  kind: "work" | "personal";
  tid?: string;
}

export const CONSUMERS_TID: string;
export const WORK_TID: string;
export function namesOf(login: string): { first?: string; last?: string };
export function personOf(provider: ProviderName, options?: { login?: string; withNames?: boolean; directory?: Directory }): Record<string, unknown>;
export function newIdentity(provider: ProviderName, directory?: Directory): Record<string, unknown>;
