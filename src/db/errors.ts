/**
 * Which UNIQUE index D1 refused a write for (drizzle wraps D1's error), or undefined if it was no such
 * refusal. SQLite names an index on expressions ("UNIQUE constraint failed: index
 * 'users_tenant_email_unique'"), but only the columns of any other ("UNIQUE constraint failed:
 * tenants.slug", or "external_identities.tenant_id, external_identities.provider, …").
 */
export function uniqueViolation(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const match = /UNIQUE constraint failed: (?:index '([^']+)'|([\w.]+))/.exec(e.message);
    if (match) return match[1] ?? match[2];
  }
  return undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return uniqueViolation(error) !== undefined;
}
