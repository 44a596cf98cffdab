/**
 * PHC strings made by printid's previous Argon2 implementation (argon2-wasm-edge 1.0.23, salt
 * "printid-fixture!"), as databases hold them: every one must still verify with today's.
 */
export const previousHashes = {
  /** "correct horse battery" with today's parameters. */
  current: "$argon2id$v=19$m=19456,t=2,p=1$cHJpbnRpZC1maXh0dXJlIQ$34CWIxu9ubhNbJj96bKd6M0LZVwKcOxwH+YyPn0gcUA",
  /** "correct horse battery" with weaker parameters (4 MiB, one pass): upgraded at the next sign-in. */
  weak: "$argon2id$v=19$m=4096,t=1,p=1$cHJpbnRpZC1maXh0dXJlIQ$9M4HONpZoxMhZ60Nd9xDkyFBBZr7vCPEPnwLfcarONs",
};
