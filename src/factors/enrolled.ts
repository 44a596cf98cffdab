import { and, eq, isNotNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { passkeys, secondFactors, type FactorType, type Tenant } from "../db/schema";

/**
 * The second factors a person can use now: those they enrolled (a TOTP or e-mail factor once confirmed,
 * any passkey) that the tenant still allows. One batch of two indexed reads.
 */
export async function enrolledFactors(db: Database, tenant: Tenant, userId: string): Promise<FactorType[]> {
  const [confirmed, [passkey]] = await db.batch([
    db
      .select({ type: secondFactors.type })
      .from(secondFactors)
      .where(and(eq(secondFactors.userId, userId), isNotNull(secondFactors.confirmedAt))),
    db.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.userId, userId)).limit(1),
  ]);
  const types: FactorType[] = [...confirmed.map((row) => row.type), ...(passkey ? (["passkey"] as const) : [])];
  return types.filter((type) => tenant.mfa.factors.includes(type));
}
