/**
 * `POST /` `{ phc, password, n }`: verifies `password` against the PHC string `phc` n times with the
 * Argon2 build printid ships (@phi-ag/argon2, SIMD WebAssembly), and answers the median time of one
 * verification. The PHC string is the seeded user's stored hash, read from printid's local D1, so the
 * parameters are whatever printid stores today; `matches` says the library reproduced that hash.
 *
 * Timed as bench/peers/better-auth/src/index.ts times Better Auth's hash (so the two figures compare):
 * workerd's clock only moves on I/O, so each verification is followed by a zero-length timer, whose own
 * median is measured first and subtracted.
 */
import Argon2 from "@phi-ag/argon2";
import argon2Wasm from "@phi-ag/argon2/argon2.wasm";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export default {
  async fetch(request) {
    const { phc, password, n } = await request.json<{ phc: string; password: string; n: number }>();
    const argon2 = new Argon2(await WebAssembly.instantiate(argon2Wasm));
    const idle: number[] = [];
    const verify: number[] = [];
    let matches = true;
    for (let i = 0; i < n; i++) {
      const start = Date.now();
      await tick();
      idle.push(Date.now() - start);
    }
    for (let i = 0; i < n; i++) {
      const start = Date.now();
      const { success } = argon2.tryVerify(phc, password);
      matches &&= success;
      await tick();
      verify.push(Date.now() - start);
    }
    return Response.json({ n, matches, median_tick_ms: median(idle), median_verify_ms: median(verify) - median(idle) });
  },
} satisfies ExportedHandler;
