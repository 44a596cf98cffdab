#!/usr/bin/env node
// npm run capacity [-- --users 1000000 --tenants 1000 --attempts 10000000 --samples 200 --seconds 60 --out DIR --keep]
//
// A capacity model measured (docs/capacity.md): builds printid as deployed, serves the build with
// `wrangler dev --no-bundle --env eu` on a free 127.0.0.1 port with fresh local state (every shard of eu
// migrated), seeds the measured tenant (its admin through the operator API, a few users through the admin
// API: real passwords, real roles) and measures sign-in, GET /me, refresh and the admin's user search on the
// empty database; stops the Worker, fills the SQLite file of the tenant's shard around those users
// (scripts/capacity/fill.mjs: the model is one shard), prints what each table and index weighs (SQLite
// dbstat) and per row, restarts the Worker on the filled file and measures the same again. Never part of
// `npm test`. Stops only the process groups it started.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { stopGroups, groupAlive } from "./process-group.mjs";
import { shardBindings } from "./shards.mjs";
import { fill } from "./capacity/fill.mjs";
import { measureAll } from "./capacity/measure.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "1000000" },
    tenants: { type: "string", default: "1000" },
    attempts: { type: "string" }, // default: 10 per user
    samples: { type: "string", default: "200" },
    seconds: { type: "string", default: "60" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const USERS = Number(args.users), TENANTS = Number(args.tenants);
const ATTEMPTS = args.attempts ? Number(args.attempts) : USERS * 10;
const SAMPLES = Number(args.samples), SECONDS = Number(args.seconds);
if (![USERS, TENANTS, ATTEMPTS, SAMPLES, SECONDS].every((n) => Number.isInteger(n) && n > 0) || USERS < TENANTS * 2)
  throw new Error("--users, --tenants, --attempts, --samples, --seconds: positive integers, at least 2 users per tenant");
const OUT = args.out ?? join(tmpdir(), `printid-capacity-${new Date().toISOString().replace(/[:.]/g, "-")}`);
const STATE = join(OUT, "state");
mkdirSync(OUT, { recursive: true });

const t0 = performance.now();
const since = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const log = (m) => console.error(`[capacity ${since()}] ${m}`);
const env = { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` };
const wrangler = (argv, logFile) => {
  try {
    execFileSync("wrangler", argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    writeFileSync(logFile, `${e.stdout ?? ""}${e.stderr ?? ""}`);
    throw new Error(`wrangler ${argv.slice(0, 3).join(" ")} failed (log: ${logFile})`);
  }
};
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// ------------------------------------------------------------ the Worker, in its own process group
const started = [];
async function stopAll() {
  const live = started.filter(groupAlive);
  if (live.length) await stopGroups(live);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stopAll().finally(() => process.exit(130)));

const vars = execFileSync(process.execPath, [join(ROOT, "bench/printid-vars.mjs")], { encoding: "utf8" }).trim().split("\n");
const OPERATOR_TOKEN = vars.find((v) => v.startsWith("OPERATOR_TOKEN:")).slice("OPERATOR_TOKEN:".length);

async function startWorker(name) {
  const port = await freePort();
  const argv = ["dev", join(OUT, "bundle/index.js"), "-c", "wrangler.toml", "--no-bundle", "--env", "eu", "--ip", "127.0.0.1",
    "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", STATE, "--log-level", "warn",
    "--show-interactive-dev-session=false", ...vars.flatMap((v) => ["--var", v])];
  const { openSync } = await import("node:fs");
  const out = openSync(join(OUT, `dev-${name}.log`), "w");
  const child = spawn("wrangler", argv, { cwd: ROOT, env, detached: true, stdio: ["ignore", out, out] });
  started.push(child);
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early (log: ${join(OUT, `dev-${name}.log`)})`);
    try {
      if ((await fetch(`${origin}/health`)).ok) return { child, origin };
    } catch {}
    await sleep(500);
  }
  throw new Error(`wrangler dev not ready after 120 s (log: ${join(OUT, `dev-${name}.log`)})`);
}
async function stopWorker({ child }) {
  const { alive } = await stopGroups([child]);
  if (alive.length) throw new Error(`process group ${child.pid} did not stop`);
  started.splice(started.indexOf(child), 1);
}

async function call(origin, method, path, body, token) {
  const r = await fetch(`${origin}${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

// ------------------------------------------------------------ report helpers
const mb = (b) => (b / 1e6).toFixed(1);
const fmt = (n) => Math.round(n).toLocaleString("en");
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const lines = [];
const say = (m = "") => {
  lines.push(m);
  console.log(m);
};

/**
 * The D1 file of the shard the measured tenant lives on (the Worker put it on the smallest shard): the one
 * of eu's databases (one file per shard under --persist-to) whose `tenants` has its row.
 */
function sqliteFile(tenantId) {
  const dir = join(STATE, "v3/d1/miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite").map((f) => join(dir, f));
  const home = files.filter((file) => {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tenants'").get() !== undefined &&
        db.prepare("SELECT 1 FROM tenants WHERE id = ?").get(tenantId) !== undefined;
    } finally {
      db.close();
    }
  });
  if (home.length !== 1) throw new Error(`expected tenant ${tenantId} in one D1 database of ${dir}, found it in ${home.length} of ${files.length}`);
  return home[0];
}

function sizes(file) {
  const db = new DatabaseSync(file, { readOnly: true });
  const pages = db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all();
  const objects = db.prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").all();
  const tables = objects.filter((o) => o.type === "table" && !o.name.startsWith("sqlite_") && !o.name.startsWith("_cf_") && o.name !== "d1_migrations");
  const bytes = Object.fromEntries(pages.map((p) => [p.name, p.bytes]));
  const result = tables.map(({ name }) => {
    const rows = db.prepare(`SELECT count(*) AS n FROM "${name}"`).get().n;
    const indexes = objects.filter((o) => o.type === "index" && o.tbl_name === name).map((o) => ({ name: o.name, bytes: bytes[o.name] ?? 0 }));
    return { name, rows, bytes: bytes[name] ?? 0, indexes };
  });
  const pageSize = db.prepare("PRAGMA page_size").get().page_size;
  const total = db.prepare("PRAGMA page_count").get().page_count * pageSize;
  db.close();
  return { tables: result, total, other: total - result.reduce((a, t) => a + t.bytes + t.indexes.reduce((b, i) => b + i.bytes, 0), 0) };
}

// ------------------------------------------------------------ 1. build, fresh state
log(`out: ${OUT}`);
log("building printid as deployed (wrangler deploy --dry-run --env eu)");
wrangler(["deploy", "--dry-run", "--env", "eu", "--outdir", join(OUT, "bundle")], join(OUT, "build.log"));
// Every shard of eu (DB, DB_2, … from wrangler.toml): the Worker puts a new tenant on the smallest one.
const SHARDS = shardBindings("eu");
for (const shard of SHARDS)
  wrangler(["d1", "migrations", "apply", shard, "--local", "--env", "eu", "--persist-to", STATE], join(OUT, `migrate-${shard}.log`));
log(`migrations applied to fresh local state, every shard of eu (${SHARDS.join(", ")})`);

// ------------------------------------------------------------ 2. the measured tenant, through the API
const SLUG = `capacity${randomBytes(3).toString("hex")}`;
const PASSWORD = `Cap-${randomBytes(12).toString("base64url")}`;
const KNOWN = ["known.one", "known.two", "known.three"];
let worker;
let empty, full, fillResult, stats;
try {
  worker = await startWorker("empty");
  log(`printid up at ${worker.origin} (process group ${worker.child.pid})`);
  const tenant = await call(worker.origin, "POST", "/operator/tenants", {
    name: SLUG,
    displayName: "Capacity",
    admin: { username: "admin", email: `admin@${SLUG}.example`, password: PASSWORD },
    settings: { lockout: { maxAttempts: 100, lockoutSeconds: 900 } },
  }, OPERATOR_TOKEN);
  const adminToken = (await (await fetch(`${worker.origin}/t/${SLUG}/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: "admin", password: PASSWORD, clientId: "printid-mobile" }),
  })).json()).access_token;
  for (const username of KNOWN)
    await call(worker.origin, "POST", `/t/${SLUG}/admin/users`, { username, email: `${username}@${SLUG}.example`, firstName: "Known", lastName: "Novak", password: PASSWORD }, adminToken);
  log(`tenant ${SLUG} (id ${tenant.id}): admin through the operator API, ${KNOWN.length} users through the admin API`);
  const plan = { slug: SLUG, logins: ["admin", ...KNOWN], password: PASSWORD, admin: "admin", commonQuery: "novak", missQuery: "zqxj", count: SAMPLES, seconds: SECONDS };
  log("measuring on the empty database");
  empty = await measureAll(worker.origin, plan);
  await stopWorker(worker);

  // ---------------------------------------------------------- 3. fill around them
  const file = sqliteFile(tenant.id);
  const db = new DatabaseSync(file, { readOnly: true });
  const phc = db.prepare("SELECT password_hash AS phc FROM users WHERE tenant_id = ? AND username = 'admin'").get(tenant.id).phc;
  const keepUsers = db.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ?").get(tenant.id).n;
  db.close();
  log(`filling ${file}: ${fmt(TENANTS)} tenants, ${fmt(USERS)} users, ${fmt(ATTEMPTS)} attempts (wrangler stopped)`);
  fillResult = fill(file, { tenants: TENANTS, users: USERS, attempts: ATTEMPTS, measured: { tenantId: tenant.id, slug: SLUG, keepUsers }, phc, log });
  log(`filled in ${fillResult.seconds.toFixed(0)} s`);
  const s = performance.now();
  stats = sizes(file);
  stats.seconds = (performance.now() - s) / 1000;
  stats.fileBytes = statSync(file).size;
  log(`dbstat read in ${stats.seconds.toFixed(0)} s`);

  // ---------------------------------------------------------- 4. the same requests at that size
  worker = await startWorker("full");
  log(`printid up again at ${worker.origin} on the filled database (process group ${worker.child.pid})`);
  full = await measureAll(worker.origin, plan);
  await stopWorker(worker);
} finally {
  await stopAll();
}

// ------------------------------------------------------------ 5. report
const measuredTenantUsers = fillResult.sizes[0];
say(`# printid capacity: ${fmt(TENANTS)} tenants, ${fmt(USERS)} users, ${fmt(ATTEMPTS)} sign-in attempts over 90 days`);
say(`command: npm run capacity -- --users ${USERS} --tenants ${TENANTS} --attempts ${ATTEMPTS} --samples ${SAMPLES} --seconds ${SECONDS}`);
say(`fill: ${fillResult.seconds.toFixed(0)} s (${fillResult.steps.map((s) => `${s.name} ${s.seconds.toFixed(0)} s`).join("; ")})`);
say(`database file: ${mb(stats.fileBytes)} MB; dbstat read in ${stats.seconds.toFixed(0)} s; run took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
say();
say("## Bytes per row (table + its indexes), from dbstat");
say(`${pad("table", 24)}${lpad("rows", 13)}${lpad("table MB", 11)}${lpad("indexes MB", 12)}${lpad("B/row", 8)}${lpad("of which idx", 14)}`);
for (const t of stats.tables) {
  const idx = t.indexes.reduce((a, i) => a + i.bytes, 0);
  say(`${pad(t.name, 24)}${lpad(fmt(t.rows), 13)}${lpad(mb(t.bytes), 11)}${lpad(mb(idx), 12)}${lpad(t.rows ? fmt((t.bytes + idx) / t.rows) : "-", 8)}${lpad(t.rows ? fmt(idx / t.rows) : "-", 14)}`);
}
say(`${pad("(schema, migrations, free)", 24)}${lpad("", 13)}${lpad(mb(stats.other), 11)}`);
say(`${pad("total", 24)}${lpad("", 13)}${lpad(mb(stats.total), 11)}`);
say();
say("## Each index");
for (const t of stats.tables)
  for (const i of t.indexes) say(`${pad(i.name, 48)}${lpad(mb(i.bytes), 10)} MB${lpad(t.rows ? fmt(i.bytes / t.rows) : "-", 7)} B/row of ${t.name}`);
say();
say(`## Latency, one request at a time, ms (tenant ${SLUG}: ${fmt(measuredTenantUsers)} users when full, the largest tenant)`);
say(`${pad("request", 40)}${lpad("empty p50", 10)}${lpad("p99", 8)}${lpad("full p50", 10)}${lpad("p99", 8)}${lpad("n", 10)}`);
empty.results.forEach((e, k) => {
  const f = full.results[k];
  say(`${pad(e.name, 40)}${lpad(e.p50.toFixed(1), 10)}${lpad(e.p99.toFixed(1), 8)}${lpad(f.p50.toFixed(1), 10)}${lpad(f.p99.toFixed(1), 8)}${lpad(`${e.n}/${f.n}`, 10)}`);
});
say(`(search results on the full database: "novak" ${full.found.common} on the first page, "zqxj" ${full.found.miss})`);
writeFileSync(join(OUT, "report.txt"), `${lines.join("\n")}\n`);
if (!args.keep) rmSync(STATE, { recursive: true, force: true });
log(`report: ${join(OUT, "report.txt")}${args.keep ? `; state kept in ${STATE}` : "; local state removed (--keep keeps it)"}`);
