/**
 * Where tenants live, as the global directory says, remembered per isolate: the directory is one Durable
 * Object for every region, so a request asks it only when its isolate does not know the answer yet.
 */
import type { Bindings } from "../config";
import { tenantDirectory, type Home } from "./directory";

/**
 * A known home may be kept long: a tenant that moved is noticed by its own row (gone, or marked as left,
 * on the shard the isolate remembered) and asked for again. An unknown name is kept briefly, so that a
 * tenant created meanwhile is found soon, and a burst of requests for a typo costs one call.
 */
const KNOWN_HOME_MS = 10 * 60_000;
const UNKNOWN_HOME_MS = 10_000;
/** Bounded; the oldest entry is forgotten first. */
const CACHE_SIZE = 10_000;

/** By region and name: an isolate serves one region, yet what one region's Worker knows is its own. */
const homes = new Map<string, { home: Home | null; until: number }>();
const keyOf = (env: Bindings, slug: string) => `${env.REGION} ${slug}`;

/**
 * The home of `slug`, and whether it came from this isolate's memory (and so may be stale) rather than
 * from the directory just now. `fresh` skips the memory.
 */
export async function homeOf(env: Bindings, slug: string, { fresh = false } = {}): Promise<{ home: Home | null; remembered: boolean }> {
  const key = keyOf(env, slug);
  const cached = homes.get(key);
  if (!fresh && cached && cached.until > Date.now()) return { home: cached.home, remembered: true };
  const home = await tenantDirectory(env).homeOf(slug);
  homes.delete(key);
  if (homes.size >= CACHE_SIZE) homes.delete(homes.keys().next().value!);
  homes.set(key, { home, until: Date.now() + (home ? KNOWN_HOME_MS : UNKNOWN_HOME_MS) });
  return { home, remembered: false };
}

/**
 * Forgets what this isolate knew of `slug`: its creation here has just given an unknown name a home.
 * (Other isolates that were just asked for it may answer `tenant_not_found` for up to 10 s more.)
 */
export function forgetHome(env: Bindings, slug: string): void {
  homes.delete(keyOf(env, slug));
}
