// Rule S: passwords are hashed with Argon2id at OWASP's minimum (19 MiB, t=2, p=1), the parameters stored
// with each hash so that raising them upgrades old hashes at the next sign-in.
import { describe, expect, it } from "vitest";
import { currentParams, hashPassword, needsRehash, verifyPassword } from "../../src/credentials/password";
import { previousHashes } from "../support/hashes";

describe("password hashing", () => {
  it("S hashes with Argon2id at or above the OWASP minimum, salted", async () => {
    const [first, second] = [await hashPassword("hunter2 hunter2"), await hashPassword("hunter2 hunter2")];
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toBe(second);
    expect(currentParams.memorySize).toBeGreaterThanOrEqual(19 * 1024);
    expect(currentParams.iterations).toBeGreaterThanOrEqual(2);
  });

  it("S verifies the right password and refuses a wrong one", async () => {
    const hash = await hashPassword("correct horse");
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("correct horsf", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("S treats the same password in another Unicode form as the same password", async () => {
    const hash = await hashPassword("caf\u00e9 au lait");
    expect(await verifyPassword("cafe\u0301 au lait", hash)).toBe(true);
  });

  it("S refuses anything that is not one of its hashes", async () => {
    for (const junk of ["", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "$2b$10$abcdefghijklmnopqrstuu"]) {
      expect(await verifyPassword("plain", junk)).toBe(false);
      expect(needsRehash(junk)).toBe(true);
    }
  });

  it("S hashes of the previous Argon2 implementation verify; weaker ones are marked for upgrade", async () => {
    expect(await verifyPassword("correct horse battery", previousHashes.current)).toBe(true);
    expect(await verifyPassword("correct horse batterY", previousHashes.current)).toBe(false);
    expect(needsRehash(previousHashes.current)).toBe(false);
    const weak = previousHashes.weak;
    expect(await verifyPassword("correct horse battery", weak)).toBe(true);
    expect(await verifyPassword("old password", weak)).toBe(false);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword("new password"))).toBe(false);
  });
});
