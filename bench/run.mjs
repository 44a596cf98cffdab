// `npm run bench`: what rule P (token check + one D1 query) costs next to a bare D1 read, what a password
// sign-in costs, whether a burst of correct sign-ins of one user is served (and what it does to GET /me),
// and how big the bundle is. bench/README.md says how to read the output.
//   1. bundle sizes and a build of bench/worker.ts (wrangler deploy --dry-run), 2. that build under
//   `wrangler dev` with fresh local state, 3. a tenant through the operator API, 4. loads, 5. a table.
// Exits 0 even below target; 1 only when it could not measure.
import autocannon from "autocannon";
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
// wrangler's launcher is `#!/usr/bin/env node`: node_modules/.bin first makes that the pinned Node 24.
const childEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CI: "true" };

const TARGET = 0.8;
// ~10 connections saturate one isolate on 2 cores (shared/TOOLING.md). (a) and (b) alternate in short
// slices, so a burst of other work on this shared machine falls on both rather than on one.
const LOAD = { connections: 10, warmup: 2, slice: 2, slices: 5 }; // seconds; 5 × 2 s = 10 s each
// Each sign-in hashes for ~20 ms of CPU: a few connections already saturate, and each request adds a session.
const SIGN_IN_LOAD = { connections: 4, warmup: 1, seconds: 5 };
// (d) and (e): many connections signing in as ONE user with the right password (shared scan accounts on
// several printers, apps that retry), under the tenant's default lockout policy; GET /me, one connection,
// measured during that burst and unloaded just before it.
const BURST = { connections: 10, seconds: 6 };
const SEQUENTIAL = 20;
const HASHES_PER_REQUEST = 5;
const PASSWORD = `Bench-${randomBytes(9).toString("base64url")}`;

/**
 * A fresh client address per request: sign-in is rate limited per CF-Connecting-IP and tenant (rule H), and
 * these rows measure hashing and lockout, not the limiter. 10.x.y.z, never repeated within a run.
 */
let addresses = 0;
const freshIp = () => { addresses++; return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`; };

/** An autocannon request that carries a fresh CF-Connecting-IP each time it is sent. */
function fromManyAddresses({ url, method = "GET", headers = {}, body }, onResponse) {
  const { origin, pathname, search } = new URL(url);
  return {
    url: origin,
    requests: [{
      method, path: pathname + search, headers, body,
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, "cf-connecting-ip": freshIp() } }),
      ...(onResponse ? { onResponse } : {}),
    }],
  };
}

/** A port nobody listens on now (the OS picks it), so the bench never collides with `npm run dev`. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function wranglerSync(args) {
  const result = spawnSync(join(bin, "wrangler"), args, { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (result.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
}

/** What `wrangler deploy` would upload for src/index.ts, gzipped file by file (no source maps). */
function bundleSize(outdir, { minify = false } = {}) {
  wranglerSync(["deploy", "--dry-run", "--env", "eu", "--outdir", outdir, ...(minify ? ["--minify"] : [])]);
  const sizes = readdirSync(outdir).filter((name) => /\.(m?js|wasm)$/.test(name)).map((name) => {
    const bytes = readFileSync(join(outdir, name));
    return { wasm: name.endsWith(".wasm"), raw: bytes.length, gzip: gzipSync(bytes).length };
  });
  const kib = (key, pick = () => true) => sizes.filter(pick).reduce((total, size) => total + size[key], 0) / 1024;
  return { raw: kib("raw"), gzip: kib("gzip"), wasmGzip: kib("gzip", (size) => size.wasm) };
}

/** Fresh secrets of the shapes production uses, given with --var (they override .dev.vars). */
function benchVars(origin) {
  const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  return {
    ORIGIN: origin,
    SIGNING_KEYS: JSON.stringify([{ ...jwk, kid: `bench-${randomBytes(4).toString("hex")}` }]),
    OPERATOR_TOKEN: randomBytes(24).toString("base64url"),
    CLIENTS: JSON.stringify([{ id: "printid-mobile", redirectUris: ["dev.printid.app:/oauth/callback"] }]),
  };
}

/**
 * Serves a finished build (--no-bundle): `wrangler dev bench/worker.ts` would rebuild and restart the Worker
 * whenever someone saves a file under src/, mid-measurement. --log-level warn: a log line per request costs
 * ~40% of throughput. Own process group (detached): workerd is a grandchild, only a group kill stops it.
 */
function startWorker({ script, port, inspectorPort, persistTo, vars }) {
  const args = ["dev", script, "-c", "wrangler.toml", "--no-bundle", "--env", "eu", "--ip", "127.0.0.1",
    "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", persistTo,
    "--log-level", "warn", "--show-interactive-dev-session=false",
    ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`])];
  const child = spawn(join(bin, "wrangler"), args, { cwd: root, env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.output = []; // shown only if the Worker fails to start
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => child.output.push(chunk));
  return child;
}

async function waitForHealth(origin, child, timeoutMs = 60_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline && child.exitCode === null; await sleep(300)) {
    const health = await fetch(`${origin}/health`).then((r) => r.json(), () => undefined);
    if (health?.region === "eu") return;
  }
  throw new Error(`the bench Worker did not start:\n${Buffer.concat(child.output).toString()}`);
}

/** SIGTERM to the process group, SIGKILL to what is left after 5 s. */
async function stopWorker(child) {
  const signal = (sig) => { try { process.kill(-child.pid, sig); return true; } catch { return false; } };
  if (!signal("SIGTERM")) return;
  for (let waited = 0; waited < 5000 && signal(0); waited += 100) await sleep(100);
  signal("SIGKILL");
}

let workerGroup; // the process group of wrangler, workerd and the local D1: whose CPU time is counted

/**
 * CPU ms used so far by the Worker's process group (Linux /proc; NaN elsewhere). Unlike req/s, CPU per
 * request hardly changes when other processes compete for the cores.
 */
function workerCpuMs() {
  try {
    const ticks = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map((pid) => {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        return Number(fields[2]) === workerGroup ? Number(fields[11]) + Number(fields[12]) : 0;
      } catch { return 0; } // the process ended meanwhile
    });
    return ticks.reduce((a, b) => a + b, 0) * 10; // USER_HZ is 100 on Linux
  } catch { return NaN; }
}

/** CPU ms all processes have used (Linux /proc/stat), to tell how much other work ran during the bench. */
function machineCpuMs() {
  try {
    const ticks = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return (ticks.reduce((a, b) => a + b, 0) - ticks[3] - ticks[4]) * 10; // minus idle and iowait
  } catch { return NaN; }
}

/** The CPU others used meanwhile, in cores: the machine's minus the Worker's minus this process's (autocannon). */
async function othersCores(work) {
  const cpu = () => {
    const self = process.cpuUsage();
    return machineCpuMs() - workerCpuMs() - (self.user + self.system) / 1000;
  };
  const [start, cpuStart] = [performance.now(), cpu()];
  const result = await work();
  return { result, others: (cpu() - cpuStart) / (performance.now() - start) };
}

async function postJson(url, body, headers = {}) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** A tenant through the real operator path, and an access token of its admin for GET /me. */
async function seed(origin, operatorToken) {
  const slug = `bench${randomBytes(3).toString("hex")}`;
  const tenant = await postJson(`${origin}/operator/tenants`, {
    name: slug, displayName: "Bench", admin: { username: "admin", email: `admin@${slug}.example`, password: PASSWORD },
    // Each sign-in reserves a failed attempt before it hashes: as many concurrent sign-ins of one user as
    // the lockout limit (default 5) lock the account, correct password or not.
    settings: { lockout: { maxAttempts: 100, lockoutSeconds: 900 } },
  }, { authorization: `Bearer ${operatorToken}` });
  const signIn = { login: "admin", password: PASSWORD, clientId: "printid-mobile" };
  const { access_token: accessToken } = await postJson(`${origin}/t/${slug}/sign-in`, signIn, { "cf-connecting-ip": freshIp() });
  // (d): a tenant with the default lockout policy (no settings), whose admin the burst signs in as.
  const burstSlug = `burst${randomBytes(3).toString("hex")}`;
  await postJson(`${origin}/operator/tenants`, {
    name: burstSlug, displayName: "Bench burst", admin: { username: "scan", email: `scan@${burstSlug}.example`, password: PASSWORD },
  }, { authorization: `Bearer ${operatorToken}` });
  const burstSignIn = { login: "scan", password: PASSWORD, clientId: "printid-mobile" };
  return { slug, tenantId: tenant.id, accessToken, signIn, burstSlug, burstSignIn };
}

/** Latencies, time and CPU of one kind of request, pooled over several autocannon runs. */
const pool = () => ({ latencies: [], seconds: 0, cpuMs: 0, failed: 0 });

/** One bounded autocannon run; returns its req/s and adds every response to `into` (if given). */
async function drive(request, connections, seconds, into = pool()) {
  const [before, cpuBefore] = [into.latencies.length, workerCpuMs()];
  const run = autocannon({ ...request, connections, duration: seconds });
  run.on("response", (_client, status, _bytes, ms) => (status < 300 ? into.latencies.push(ms) : into.failed++));
  const result = await run;
  into.cpuMs += workerCpuMs() - cpuBefore;
  into.seconds += result.duration;
  into.failed += result.errors + result.timeouts;
  return (into.latencies.length - before) / result.duration;
}

/** req/s, percentiles, CPU per request; a failed request makes the figures meaningless, so it stops the bench. */
function summary(p, what) {
  if (p.failed > 0) throw new Error(`${what}: ${p.failed} requests failed (non-2xx, error or timeout)`);
  const sorted = p.latencies.toSorted((a, b) => a - b);
  const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  return { rps: sorted.length / p.seconds, p50: at(0.5), p99: at(0.99), cpu: p.cpuMs / sorted.length };
}

/** (a) and (b) after a warm-up of each, in alternating slices A B, B A, A B, ...; a ratio per pair. */
async function compare(requests) {
  const { connections, warmup, slice, slices } = LOAD;
  for (const request of Object.values(requests)) await drive(request, connections, warmup);
  const pools = { a: pool(), b: pool() };
  const pairRatios = [];
  for (let i = 0; i < slices; i++) {
    const rps = {};
    for (const key of i % 2 === 0 ? ["a", "b"] : ["b", "a"]) rps[key] = await drive(requests[key], connections, slice, pools[key]);
    pairRatios.push(rps.b / rps.a);
  }
  return { baseline: summary(pools.a, "baseline"), me: summary(pools.b, "GET /me"), pairRatios };
}

/** Wall time of one request, the answer read in full (sign-ins from a fresh address each, see freshIp). */
async function wallMs(url, init = {}) {
  const start = performance.now();
  const response = await fetch(url, init.method === "POST" ? { ...init, headers: { ...init.headers, "cf-connecting-ip": freshIp() } } : init);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return performance.now() - start;
}

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];

/** Median of sequential requests, one at a time: what one user waits when nobody else is served. */
async function aloneMs(url, init) {
  const times = [];
  for (let i = 0; i < SEQUENTIAL; i++) times.push(await wallMs(url, init));
  return median(times);
}

/**
 * One Argon2id verification inside workerd, timed from outside (performance.now() is frozen in a Worker):
 * a bench route doing HASHES_PER_REQUEST verifications against the same route doing none, alternated.
 * Wall: difference of the medians. CPU: difference of the Worker's CPU time. Both ÷ HASHES_PER_REQUEST.
 */
async function hashCost(origin) {
  const runs = [0, HASHES_PER_REQUEST].map((n) => ({ url: `${origin}/bench/hash?n=${n}`, wall: [], cpuMs: 0 }));
  for (let i = 0; i < SEQUENTIAL; i++) {
    for (const run of runs) {
      const cpuBefore = workerCpuMs();
      run.wall.push(await wallMs(run.url));
      run.cpuMs += workerCpuMs() - cpuBefore;
    }
  }
  const [none, some] = runs;
  return {
    wall: (median(some.wall) - median(none.wall)) / HASHES_PER_REQUEST,
    cpu: (some.cpuMs - none.cpuMs) / SEQUENTIAL / HASHES_PER_REQUEST,
  };
}

/**
 * (d) BURST.connections sign in as one user with the right password for BURST.seconds, each request from its
 * own address; every answer counted, non-2xx by status and code (the goal is none: a correct password is
 * never refused). (e) GET /me on one connection during the burst, and for as long unloaded just before.
 */
async function burst(origin, { slug, accessToken, burstSlug, burstSignIn }) {
  const me = { url: `${origin}/t/${slug}/me`, headers: { authorization: `Bearer ${accessToken}` } };
  const signIn = { url: `${origin}/t/${burstSlug}/sign-in`, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(burstSignIn) };
  const refusals = new Map(); // "429 account_locked" -> count
  const onResponse = (status, body) => {
    if (status < 300) return;
    let code = "";
    try { const json = JSON.parse(body); code = json.code ?? json.error ?? ""; } catch { /* not JSON */ }
    const key = `${status} ${code}`.trim();
    refusals.set(key, (refusals.get(key) ?? 0) + 1);
  };
  const meUnloaded = pool();
  await drive(me, 1, BURST.seconds, meUnloaded);
  const signIns = pool();
  const meLoaded = pool();
  const cpuBefore = workerCpuMs();
  await Promise.all([
    drive(fromManyAddresses(signIn, onResponse), BURST.connections, BURST.seconds, signIns),
    drive(me, 1, BURST.seconds, meLoaded),
  ]);
  const cpuMs = workerCpuMs() - cpuBefore;
  const refused = signIns.failed;
  signIns.failed = 0; // counted and reported by this row, not a failure of the bench
  const figures = { ...summary(signIns, "sign-in burst"), refused, total: signIns.latencies.length + refused, refusals };
  figures.cpu = cpuMs / Math.max(1, figures.total); // the window's CPU (both loads) per sign-in
  return { burst: figures, meUnloaded: summary(meUnloaded, "GET /me unloaded"), meLoaded: summary(meLoaded, "GET /me during the burst") };
}

/** Everything measured against the running Worker. */
async function measure(origin, seeded) {
  const { slug, tenantId, accessToken, signIn } = seeded;
  const base = { url: `${origin}/bench/baseline?id=${tenantId}` };
  const me = { url: `${origin}/t/${slug}/me`, headers: { authorization: `Bearer ${accessToken}` } };
  const signInRequest = { url: `${origin}/t/${slug}/sign-in`, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(signIn) };
  const figures = await compare({ a: base, b: me });
  const { connections, warmup, seconds } = SIGN_IN_LOAD;
  await drive(fromManyAddresses(signInRequest), connections, warmup);
  const signInPool = pool();
  await drive(fromManyAddresses(signInRequest), connections, seconds, signInPool);
  figures.signIn = summary(signInPool, "sign-in");
  Object.assign(figures, await burst(origin, seeded));
  // Under load a CPU-bound route's p50 is mostly queueing: the unloaded time goes beside it.
  for (const [figure, request] of [[figures.baseline, base], [figures.me, me], [figures.signIn, signInRequest]]) {
    figure.alone = await aloneMs(request.url, request);
  }
  figures.hash = await hashCost(origin);
  return figures;
}

const ms = (value, width = 4) => (value < 10 ? value.toFixed(1) : value.toFixed(0)).padStart(width);
const row = (name, r) =>
  `${name.padEnd(27)}${r.rps.toFixed(0).padStart(5)} req/s  p50 ${ms(r.p50)} ms  p99 ${ms(r.p99)} ms  alone ${ms(r.alone)} ms  cpu ${r.cpu.toFixed(2).padStart(5)} ms/req`;
const kib = (b) => `${b.gzip.toFixed(1)} KiB gzip (${b.raw.toFixed(0)} KiB raw)`;

function report({ baseline, me, signIn, burst, meUnloaded, meLoaded, pairRatios, hash }, bundle, minified) {
  const ratio = me.rps / baseline.rps;
  const { connections, slice, slices } = LOAD;
  const pairs = pairRatios.toSorted((x, y) => x - y);
  console.log([
    `load: autocannon, loopback. (a) (b): ${connections} connections, ${slices} alternating slices of ${slice} s each, after a warm-up.`,
    `      (c): ${SIGN_IN_LOAD.connections} connections × ${SIGN_IN_LOAD.seconds} s. alone: median of ${SEQUENTIAL} sequential requests, no load.`,
    `      (d): ${BURST.connections} connections × ${BURST.seconds} s signing in as one user (right password, default lockout policy); req/s and latency of the 2xx.`,
    `      (e): GET /me on 1 connection during (d), and ${BURST.seconds} s unloaded just before. Sign-ins come from a fresh CF-Connecting-IP each (rule H limits per address).`,
    `      cpu: CPU time of wrangler + workerd (Worker, local D1, proxy) per request, steadier than req/s on a busy machine.`,
    row("(a) baseline  D1 PK read", baseline),
    row("(b) GET /me   valid token", me),
    row("(c) sign-in   password", signIn),
    `${"(d) sign-in burst, 1 user".padEnd(27)}${burst.rps.toFixed(0).padStart(5)} req/s  p50 ${ms(burst.p50)} ms  p99 ${ms(burst.p99)} ms  ` +
      `non-2xx ${burst.refused} of ${burst.total}${burst.refused ? ` (${[...burst.refusals].map(([k, n]) => `${n}× ${k}`).join(", ")})` : ""}; goal 0: ${burst.refused === 0 ? "met" : "MISSED"}`,
    `${"(e) GET /me  during (d)".padEnd(27)}${meLoaded.rps.toFixed(0).padStart(5)} req/s  p50 ${ms(meLoaded.p50)} ms  p99 ${ms(meLoaded.p99)} ms  ` +
      `unloaded just before: p50 ${ms(meUnloaded.p50)} ms  p99 ${ms(meUnloaded.p99)} ms (1 connection each; ×${(meLoaded.p50 / meUnloaded.p50).toFixed(1)} at p50)`,
    `ratio (b)/(a) ${ratio.toFixed(2)} req/s (per slice pair ${pairs[0].toFixed(2)}–${pairs.at(-1).toFixed(2)}), ` +
      `${(baseline.cpu / me.cpu).toFixed(2)} by cpu/req; target ≥ ${TARGET.toFixed(2)}: ${ratio >= TARGET ? "met" : "BELOW TARGET"}`,
    `hash  ${ms(hash.wall, 0)} ms wall, ${ms(hash.cpu, 0)} ms cpu per Argon2id verification (m=19 MiB, t=2) inside workerd: ` +
      `a bench route doing ${HASHES_PER_REQUEST} minus the same route doing none (${SEQUENTIAL} each, medians), ÷ ${HASHES_PER_REQUEST}`,
    `bundle ${kib(bundle)} as deployed (wrangler deploy --dry-run --env eu, wasm ${bundle.wasmGzip.toFixed(1)} KiB gzip); ${kib(minified)} with --minify`,
  ].join("\n"));
}

async function main() {
  // Its own temporary state and builds: the bench never touches the developer's .wrangler/state.
  const work = mkdtempSync(join(tmpdir(), "printid-bench-"));
  let worker;
  const cleanUp = async () => {
    if (worker) await stopWorker(worker);
    rmSync(work, { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => void cleanUp().then(() => process.exit(130)));
  try {
    const [bundle, minified] = [bundleSize(join(work, "deployed")), bundleSize(join(work, "minified"), { minify: true })];
    wranglerSync(["deploy", "bench/worker.ts", "--dry-run", "--env", "eu", "--outdir", join(work, "bench")]);
    wranglerSync(["d1", "migrations", "apply", "DB", "--local", "--env", "eu", "--persist-to", join(work, "state")]);
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const origin = `http://127.0.0.1:${port}`;
    const vars = benchVars(origin);
    worker = startWorker({ script: join(work, "bench", "worker.js"), port, inspectorPort, persistTo: join(work, "state"), vars });
    workerGroup = worker.pid;
    await waitForHealth(origin, worker);
    const seeded = await seed(origin, vars.OPERATOR_TOKEN);
    console.log(`printid bench: a build of bench/worker.ts, wrangler dev --no-bundle --env eu --log-level warn, local D1, ${origin}`);
    // Other work on this machine (a test run) skews req/s and latencies: say how much there was.
    const { result: figures, others } = await othersCores(() => measure(origin, seeded));
    const busy = others > 0.25 ? "  BUSY: req/s and latencies unreliable, trust cpu more, or run again" : "";
    console.log(`machine: ${availableParallelism()} cores; other processes used ${others.toFixed(2)} cores during the measurement${busy}`);
    report(figures, bundle, minified);
  } finally {
    await cleanUp();
  }
}

main().catch((error) => {
  console.error(`bench failed: ${error.message}`);
  process.exitCode = 1;
});
