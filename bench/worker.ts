/**
 * The production Worker (src/index.ts) plus two routes that exist only for `npm run bench`, so the baseline
 * runs in the same isolate, behind the same middleware, as the routes it is compared with. Never deployed.
 */
import { eq } from "drizzle-orm";
import { buildApp } from "../src/app";
import type { Bindings } from "../src/config";
import { hashPassword, verifyPassword } from "../src/credentials/password";
import { database } from "../src/db/client";
import { tenants } from "../src/db/schema";
import { prune } from "../src/scheduled";

export { TenantDirectory } from "../src/tenants/directory";

const app = buildApp();

/** The baseline: one drizzle primary-key read of `tenants` (the id of the seeded tenant comes as `?id=`). */
app.get("/bench/baseline", async (c) => {
  const tenant = await c.var.db.select().from(tenants).where(eq(tenants.id, c.req.query("id") ?? "")).get();
  return tenant ? c.json({ id: tenant.id, slug: tenant.slug }) : c.json({ error: "no such tenant" }, 404);
});

// A stored hash with today's parameters, made once per isolate (no random values at start-up in workerd).
let reference: Promise<string> | undefined;

/**
 * `?n=` password verifications (what sign-in does with a correct password), no D1. The runner times it
 * from outside with n=0 and n>0: performance.now() is frozen while a Worker computes.
 */
app.get("/bench/hash", async (c) => {
  reference ??= hashPassword("bench-password-1");
  const phc = await reference;
  const n = Math.min(Number(c.req.query("n") ?? "1") || 0, 20);
  for (let i = 0; i < n; i++) {
    if (!(await verifyPassword("bench-password-1", phc))) return c.json({ error: "mismatch" }, 500);
  }
  return c.json({ verified: n });
});

// The same handler shape as src/index.ts.
export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(prune(database(env.DB)));
  },
} satisfies ExportedHandler<Bindings>;
