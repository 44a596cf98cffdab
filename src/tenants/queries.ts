import { and, asc, eq, gt, isNull, or, sql, type SQL } from "drizzle-orm";
import { preparedPerHandle, type Database } from "../db/client";
import { accountKinds, tenants, type Tenant } from "../db/schema";
import { AppError } from "../http/errors";
import { panelPolicyProblem, patchedPanelPolicy, type PanelPolicyPatch, type SettingsPatch } from "./settings";

/** The one read of every public `/t/{tenant}` route: prepared once per database handle, as rule P's is. */
const bySlug = preparedPerHandle((db) => db.select().from(tenants).where(eq(tenants.slug, sql.placeholder("slug"))).prepare());

export async function findTenantBySlug(db: Database, slug: string): Promise<Tenant | undefined> {
  return bySlug(db).get({ slug });
}

export function insertTenant(db: Database, tenant: typeof tenants.$inferInsert) {
  return db.insert(tenants).values(tenant);
}

/** The tenants a shard serves in slug order, `limit` at a time after the slug `after` (moving copies aside). */
export async function listTenants(db: Database, page: { after?: string; limit: number }): Promise<Tenant[]> {
  return db
    .select()
    .from(tenants)
    .where(
      and(
        page.after === undefined ? undefined : gt(tenants.slug, page.after),
        or(isNull(tenants.moveState), eq(tenants.moveState, "leaving")),
      ),
    )
    .orderBy(asc(tenants.slug))
    .limit(page.limit)
    .all();
}

/**
 * The panel policy's fields a patch names, each set in place (`pin` field by field), like the providers:
 * two admins changing different fields at once both keep their change. What the policy becomes is
 * checked as a whole first (PINs as a method need PINs): `validation_failed` when it would not hold together.
 */
function panelUpdate(tenant: Tenant, patch: PanelPolicyPatch | undefined): SQL | undefined {
  if (!patch) return undefined;
  const problem = panelPolicyProblem(patchedPanelPolicy(tenant.panel, patch));
  if (problem) throw new AppError("validation_failed", { errors: [{ path: "panel", message: problem }] });
  const { pin, ...fields } = patch;
  return jsonFieldsSet(tenants.panel, [...Object.entries(pin ?? {}).map(([key, value]) => [`pin.${key}`, value] as const), ...Object.entries(fields)]);
}

/** A JSON column with these fields (`a` or `a.b`) set in place; undefined when there are none, so the column is left as it is. */
function jsonFieldsSet(column: typeof tenants.panel | typeof tenants.mfa | typeof tenants.providers, changes: (readonly [string, unknown])[]): SQL | undefined {
  if (changes.length === 0) return undefined;
  return changes.reduce<SQL>((json, [path, value]) => sql`json_set(${json}, ${`$.${path}`}, json(${JSON.stringify(value)}))`, sql`${column}`);
}

/**
 * Changes the settings a patch names, and only those: two admins changing different settings at once
 * both keep their change (no read-modify-write). The next request anywhere in the region reads them.
 */
export async function saveSettings(db: Database, tenant: Tenant, patch: SettingsPatch): Promise<Tenant> {
  const panel = panelUpdate(tenant, patch.panel);
  const providers = jsonFieldsSet(
    tenants.providers,
    accountKinds.flatMap((kind) => (patch.providers?.[kind] ? [[kind, patch.providers[kind]] as const] : [])),
  );
  const [saved] = await db
    .update(tenants)
    .set({
      allowRegistration: patch.allowRegistration,
      newUsersActiveByDefault: patch.newUsersActiveByDefault,
      lockoutMaxAttempts: patch.lockout?.maxAttempts,
      lockoutSeconds: patch.lockout?.lockoutSeconds,
      refreshReuseSeconds: patch.refreshTokenReuseSeconds,
      attemptRetentionDays: patch.signInAttemptRetentionDays,
      attemptCap: patch.signInAttemptCap,
      emailConfirmationRequired: patch.emailConfirmationRequired,
      sessionMaxSeconds: patch.sessionMaxSeconds,
      sessionIdleSeconds: patch.sessionIdleSeconds,
      deviceCodeSeconds: patch.deviceCodeSeconds,
      panel,
      mfa: jsonFieldsSet(tenants.mfa, Object.entries(patch.mfa ?? {})),
      providers,
      updatedAt: new Date(),
    })
    .where(eq(tenants.id, tenant.id))
    .returning();
  if (!saved) throw new Error(`tenant ${tenant.id} vanished while its settings were saved`);
  return saved;
}
