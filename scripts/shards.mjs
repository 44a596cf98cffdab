// The D1 shards of a region, as wrangler.toml binds them: shard 1 is `DB`, shard n is `DB_n`
// (src/tenants/shards.ts). Every shard has every migration, so whatever applies migrations applies them to
// each of these bindings. `node scripts/shards.mjs eu` prints them, one a line (for shell scripts).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";

const wranglerToml = join(dirname(fileURLToPath(import.meta.url)), "..", "wrangler.toml");

/**
 * The shard bindings of wrangler.toml's `env` in shard order: DB, DB_2, DB_3, … A D1 binding of another
 * name is not a shard and is left out; a gap (DB_3 without DB_2) is refused, because the Worker stops at the
 * first missing number (src/config.ts) and would never see the shards after it.
 */
export function shardBindings(env) {
  const { d1_databases: databases = [] } = unstable_readConfig({ config: wranglerToml, env });
  // DB_2 and up, as the Worker reads them (not DB_1, nor DB_02).
  const shardNumber = (binding) => (binding === "DB" ? 1 : Number(/^DB_([2-9]|[1-9]\d+)$/.exec(binding)?.[1] ?? 0));
  const numbered = databases
    .map(({ binding }) => ({ binding, n: shardNumber(binding) }))
    .filter(({ n }) => n > 0)
    .sort((a, b) => a.n - b.n);
  numbered.forEach(({ binding, n }, i) => {
    if (n !== i + 1) throw new Error(`wrangler.toml, env.${env}: ${binding} is bound but ${i + 1 === 1 ? "DB" : `DB_${i + 1}`} is not`);
  });
  if (numbered.length === 0) throw new Error(`wrangler.toml, env.${env}: no D1 binding DB`);
  return numbered.map(({ binding }) => binding);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = process.argv[2];
  if (!env) throw new Error("usage: node scripts/shards.mjs <env>");
  console.log(shardBindings(env).join("\n"));
}
