import Argon2, { Argon2Type, Argon2Version } from "@phi-ag/argon2";
import argon2Wasm from "@phi-ag/argon2/argon2.wasm";

/**
 * Argon2's reference C code built for WebAssembly with SIMD (@phi-ag/argon2): ≈ 30 ms a hash inside
 * workerd where the previous, non-SIMD build took ≈ 115 ms, with the same PHC strings. workerd forbids
 * compiling WebAssembly at run time: the module is compiled at upload (wrangler's CompiledWasm rule) and
 * instantiated once per isolate, on first use.
 */
let engine: Promise<Argon2> | undefined;
const argon2 = () => (engine ??= WebAssembly.instantiate(argon2Wasm).then((instance) => new Argon2(instance)));

/**
 * One Argon2id hash of `password` with `params`: the raw hash and its PHC string. NIST SP 800-63B: the
 * password is normalised (NFKC), so that the same password typed on two keyboards is the same password.
 */
async function argon2id(password: string, params: Argon2Params, salt: Uint8Array, hashLength: number) {
  return (await argon2()).hash(password.normalize("NFKC"), {
    salt,
    hashLength,
    timeCost: params.iterations,
    memoryCost: params.memorySize,
    parallelism: params.parallelism,
    type: Argon2Type.Argon2id,
    version: Argon2Version.Version13,
  });
}

export interface Argon2Params {
  /** KiB of memory. */
  memorySize: number;
  iterations: number;
  parallelism: number;
}

/**
 * OWASP's first recommendation for Argon2id (19 MiB, 2 passes, 1 lane), ≈ 30 ms inside workerd. The
 * parameters are stored in each hash (PHC string), so raising these upgrades old hashes at their owner's
 * next successful sign-in (`needsRehash`).
 */
export const currentParams: Argon2Params = { memorySize: 19_456, iterations: 2, parallelism: 1 };

const HASH_BYTES = 32;
const SALT_BYTES = 16;
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;


/**
 * One hash at a time per isolate. An isolate has one thread: hashes running side by side finish no
 * sooner in total, but each holds ~19 MiB, and interleaved they make every other request of the isolate
 * (a /me, a tenant card) wait behind all of them. Queued, each hash first yields to the event loop, so
 * that what other requests were waiting for (a D1 answer, a signature) runs between two hashes: another
 * request waits for one hash per step at most, not for the whole queue.
 *
 * Every wait and timer belongs to the request that hashes (workerd cancels a finished request's timers),
 * and a turn is waited for 2 s at most: a request that died holding it cannot stall the isolate.
 */
let lastTurn: Promise<void> = Promise.resolve();
const TURN_WAIT_MS = 2_000;

function sleep(ms: number): { done: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const done = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { done, cancel: () => timer !== null && clearTimeout(timer) };
}

async function oneAtATime<T>(hash: () => Promise<T>): Promise<T> {
  const previous = lastTurn;
  let finished = () => {};
  lastTurn = new Promise<void>((resolve) => (finished = resolve));
  const patience = sleep(TURN_WAIT_MS);
  try {
    await Promise.race([previous, patience.done]);
    patience.cancel();
    await sleep(0).done;
    return await hash();
  } finally {
    finished();
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  return oneAtATime(async () => (await argon2id(password, currentParams, salt, HASH_BYTES)).encoded);
}

interface StoredHash {
  params: Argon2Params;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parse(phc: string): StoredHash | undefined {
  const match = PHC.exec(phc);
  if (!match) return undefined;
  const [, m, t, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
  return {
    params: { memorySize: Number(m), iterations: Number(t), parallelism: Number(p) },
    salt: fromBase64(salt),
    hash: fromBase64(hash),
  };
}

/** Recomputes the hash with the stored parameters and compares in constant time. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const stored = parse(phc);
  // No password policy admits the empty password (and Argon2 refuses to hash it).
  if (!stored || password.length === 0) return false;
  const { hash: computed } = await oneAtATime(() => argon2id(password, stored.params, stored.salt, stored.hash.length));
  return computed.length === stored.hash.length && crypto.subtle.timingSafeEqual(computed, stored.hash);
}

/** True when a hash was made with weaker parameters than today's, or is not ours at all. */
export function needsRehash(phc: string): boolean {
  const stored = parse(phc);
  return (
    !stored ||
    stored.params.memorySize < currentParams.memorySize ||
    stored.params.iterations < currentParams.iterations ||
    stored.params.parallelism < currentParams.parallelism
  );
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a password nobody knows, verified in place of a real one when a login is unknown, so that
 * unknown logins and wrong passwords take the same time. Made once per isolate (workerd allows no random
 * values at start-up), with today's parameters.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomUUID());
  return dummy;
}

function fromBase64(unpadded: string): Uint8Array {
  return Uint8Array.from(atob(unpadded), (char) => char.charCodeAt(0));
}
