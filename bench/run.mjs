// `npm run bench`: printid next to its anchors, in one run; bench/README.md says what each figure is.
//   1. bench/peers/run (the anchors' harness, vendored) with EXTRA=bench/printid-rows.sh: the bare
//      Hono + drizzle baseline, Better Auth and printid under the same wrk load, one row each in
//      results.tsv, printid's other figures beside it;
//   2. cold start: `wrangler check startup` of printid and of the baseline, alternated, three times each;
//   3. bundle sizes of the builds that run made;
//   4. one summary: figure, printid, baseline, ratio, target, pass/fail.
// Exits 0 even when a target is missed; 1 only when it could not measure.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const peers = join(root, "bench", "peers");
const STARTUP_RUNS = 3;
// The harness measures a row again while other processes use more than this % of the machine (BENCH_MAX_OTHER).
const QUIET_OTHER_CPU = 10;
const TARGET = { bundleKiB: 100, startup: 2, signIn: 2, me: 0.9 };
// The harness's row labels (bench/peers/run and bench/printid-rows.sh).
const ROW = {
  d1: "baseline GET /d1 (drizzle, 1 PK select)",
  betterAuthSignIn: "better-auth POST sign-in/email",
  me: "printid GET /t/{tenant}/me (bearer)",
  signIn: "printid POST /t/{tenant}/sign-in",
};

/** The harness loads with wrk; without it nothing can be measured, so say so before anything starts. */
function requireWrk() {
  if (spawnSync("wrk", ["-v"]).error?.code === "ENOENT") {
    throw new Error("wrk is required and was not found on PATH: install it (Debian/Ubuntu: apt-get install -y wrk)");
  }
}

/** A port nobody listens on now (the OS picks it): the bench never collides with `npm run dev` or another bench. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * bench/peers/run in its own process group: Ctrl-C reaches only this process, which sends SIGTERM to that
 * whole group once; the harness's trap then stops the Workers it started (each in a group of its own).
 * SIGTERM, not SIGINT: wrk exits normally on SIGINT, and bash then carries on with the next command.
 * OpenAuth is left out (no figure compares with it) and so are the peer rows no figure uses.
 */
async function runHarness(outDir) {
  const [BASELINE_PORT, BASELINE_INSPECTOR, BA_PORT, BA_INSPECTOR] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env = {
    ...process.env, OUT_DIR: outDir, EXTRA: join(root, "bench", "printid-rows.sh"), SKIP_OPENAUTH: "1", PEER_ROWS: "compared",
    BASELINE_PORT, BASELINE_INSPECTOR, BA_PORT, BA_INSPECTOR,
  };
  const harness = spawn(join(peers, "run"), [], { cwd: root, env, stdio: "inherit", detached: true });
  let interrupted = false;
  const forward = () => {
    if (interrupted) return;
    interrupted = true;
    try { process.kill(-harness.pid, "SIGTERM"); } catch { /* already gone */ }
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, forward);
  const code = await new Promise((resolve) => harness.on("exit", (exitCode) => resolve(exitCode ?? 1)));
  for (const signal of ["SIGINT", "SIGTERM"]) process.off(signal, forward);
  if (interrupted) process.exit(130);
  if (code !== 0) throw new Error(`bench/peers/run exited with ${code} (its log is above; files in ${relative(root, outDir)})`);
}

/** "Active" CPU ms of the startup profile of `wrangler check startup` (it builds the Worker and runs it locally). */
function startupMs(cwd, args, log) {
  const bin = join(cwd, "node_modules", ".bin");
  const result = spawnSync(join(bin, "wrangler"), ["check", "startup", ...args, "--outfile", `${log}.cpuprofile`], {
    cwd, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CI: "true", WRANGLER_SEND_METRICS: "false" },
  });
  writeFileSync(`${log}.log`, `${result.stdout}${result.stderr}`);
  const active = /Active: ([\d.]+) ms/.exec(result.stdout);
  if (result.status !== 0 || !active) throw new Error(`wrangler check startup in ${relative(root, cwd) || "."} failed: see ${relative(root, log)}.log`);
  return Number(active[1]);
}

/** printid and the baseline alternated, so a burst of other work on the machine falls on both. */
function coldStart(outDir) {
  const runs = { printid: [], baseline: [] };
  for (let i = 1; i <= STARTUP_RUNS; i++) {
    runs.printid.push(startupMs(root, ["--env", "eu"], join(outDir, `startup-printid-${i}`)));
    runs.baseline.push(startupMs(join(peers, "baseline"), [], join(outDir, `startup-baseline-${i}`)));
  }
  return runs;
}

/** What `wrangler deploy` uploads (JS and WASM modules, not source maps), each file gzipped, in KiB. */
function bundleKiB(dir) {
  const files = readdirSync(dir).filter((name) => /\.(m?js|wasm)$/.test(name)).map((name) => readFileSync(join(dir, name)));
  const sum = (sizes) => sizes.reduce((a, b) => a + b, 0) / 1024;
  return { gzip: sum(files.map((bytes) => gzipSync(bytes).length)), raw: sum(files.map((bytes) => bytes.length)) };
}

/** results.tsv of the wrangler-dev phase, by row label. */
function readRows(file) {
  const [header, ...lines] = readFileSync(file, "utf8").trim().split("\n").map((line) => line.split("\t"));
  const rows = new Map();
  for (const cells of lines) {
    const row = Object.fromEntries(header.map((name, i) => [name, cells[i]]));
    if (row.mode === "wrangler-dev") rows.set(row.endpoint, row);
  }
  return rows;
}

/** key<TAB>value lines (bench/printid-rows.sh's facts). */
const readFacts = (file) => new Map(readFileSync(file, "utf8").trim().split("\n").map((line) => line.split("\t")));

/** Better Auth's hash and unloaded sign-in, as the harness's report prints them (they are not rows). */
function betterAuthFacts(report) {
  return {
    hashMs: Number(/verifyPassword ([\d.]+) ms/.exec(report)?.[1]),
    hashParams: /params : (.*?) \(from/.exec(report)?.[1] ?? "?",
    aloneMs: Number(/sign-in\/email ([\d.]+) ms/.exec(report)?.[1]),
  };
}

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
const num = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "?");
/** printid ÷ baseline; "n/a" when the baseline is 0 (a start-up within the profiler's first sample) or missing. */
const times = (printid, baseline) => (baseline > 0 ? `${num(printid / baseline, 2)}×` : "n/a");

/** A load row's req/s, and why it cannot be trusted: a missing row, or errors (wrk counts them as requests). */
function rate(rows, label, problems) {
  const row = rows.get(label);
  const rps = Number(row?.rps);
  if (!row || !Number.isFinite(rps)) problems.push(`${label}: not measured`);
  else if (Number(row.non2xx) + Number(row.sockerr) > 0) problems.push(`${label}: ${row.non2xx} non-2xx, ${row.sockerr} socket errors`);
  const tries = row?.attempts === "1" ? "1 try" : `${row?.attempts ?? "?"} tries`;
  return { rps, p50: Number(row?.p50_ms), p99: Number(row?.p99_ms), other: row?.["other_cpu%"] ?? "?", tries };
}

function table(lines) {
  const widths = lines[0].map((_, i) => Math.max(...lines.map((cells) => cells[i].length)));
  return lines.map((cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

function summary(outDir, startup, elapsed) {
  const problems = [];
  const rows = readRows(join(outDir, "results.tsv"));
  const facts = readFacts(join(outDir, "printid-facts.tsv"));
  const ba = betterAuthFacts(readFileSync(join(outDir, "report.txt"), "utf8"));
  const burst = JSON.parse(readFileSync(join(outDir, "printid-burst.json"), "utf8"));
  const bundle = { printid: bundleKiB(join(outDir, "bundle-printid")), baseline: bundleKiB(join(outDir, "bundle-baseline")) };
  const start = { printid: median(startup.printid), baseline: median(startup.baseline) };
  const load = {
    d1: rate(rows, ROW.d1, problems), betterAuth: rate(rows, ROW.betterAuthSignIn, problems),
    me: rate(rows, ROW.me, problems), signIn: rate(rows, ROW.signIn, problems),
  };
  const verdict = (ok) => (ok ? "pass" : "FAIL");
  // Two rows measured a minute apart compare only if both were measured on a quiet machine.
  const noisy = (...pair) => (pair.some((row) => !(Number(row.other) <= QUIET_OTHER_CPU)) ? " (noisy)" : "");
  const figures = [
    ["figure", "printid", "baseline", "ratio", "target", "result"],
    ["bundle, JS + WASM gzip", `${num(bundle.printid.gzip)} KiB`, `${num(bundle.baseline.gzip)} KiB Hono+drizzle`,
      times(bundle.printid.gzip, bundle.baseline.gzip), `≤ ${TARGET.bundleKiB} KiB`, verdict(bundle.printid.gzip <= TARGET.bundleKiB)],
    [`cold start, median of ${STARTUP_RUNS}`, `${num(start.printid)} ms`, `${num(start.baseline)} ms Hono+drizzle`,
      times(start.printid, start.baseline), `≤ ${TARGET.startup}× baseline`, verdict(start.printid <= TARGET.startup * start.baseline)],
    ["password sign-in", `${num(load.signIn.rps)} req/s`, `${num(load.betterAuth.rps)} req/s Better Auth`,
      times(load.signIn.rps, load.betterAuth.rps), `≥ ${TARGET.signIn}× baseline`, verdict(load.signIn.rps >= TARGET.signIn * load.betterAuth.rps) + noisy(load.signIn, load.betterAuth)],
    ["GET /me (bearer)", `${num(load.me.rps, 0)} req/s`, `${num(load.d1.rps, 0)} req/s GET /d1`,
      times(load.me.rps, load.d1.rps), `≥ ${TARGET.me}× baseline`, verdict(load.me.rps >= TARGET.me * load.d1.rps) + noisy(load.me, load.d1)],
  ];
  const ms = (values) => values.map((value) => num(value)).join(", ");
  const { burst: d, meLoaded, meUnloaded } = burst;
  const refusals = Object.entries(d.refusals).map(([key, count]) => `${count}× ${key}`).join(", ");
  const hashWarning = facts.get("hash_matches") === "true" ? "" : " (NOT printid's hash: the bench library did not reproduce it)";
  console.log([
    "",
    `== npm run bench: printid beside its anchors, one run on ${availableParallelism()} cores, all on 127.0.0.1 with local D1`,
    table(figures),
    "",
    `bundle      raw: printid ${num(bundle.printid.raw)} KiB, baseline ${num(bundle.baseline.raw)} KiB (wrangler deploy --dry-run --outdir; printid --env eu; source maps not counted)`,
    `cold start  wrangler check startup, "Active" CPU of the startup profile in local workerd: printid ${ms(startup.printid)} ms; baseline ${ms(startup.baseline)} ms`,
    `            (a sample about every 1 ms, each counting the time since the one before: a start-up of a few ms is a few samples)`,
    `sign-in     p50 / p99 under load: printid ${num(load.signIn.p50)} / ${num(load.signIn.p99)} ms, Better Auth ${num(load.betterAuth.p50)} / ${num(load.betterAuth.p99)} ms`,
    `            one request unloaded (median of 15): printid ${facts.get("signin_alone_ms")} ms, Better Auth ${num(ba.aloneMs)} ms`,
    `            one hash verification inside workerd: printid ${facts.get("hash_verify_ms")} ms (${facts.get("hash_params")})${hashWarning}, Better Auth ${num(ba.hashMs, 0)} ms (scrypt ${ba.hashParams.trim()})`,
    `GET /me     p50 / p99 under load: printid ${num(load.me.p50)} / ${num(load.me.p99)} ms, baseline /d1 ${num(load.d1.p50)} / ${num(load.d1.p99)} ms`,
    `            one request unloaded (median of 15): printid ${facts.get("me_alone_ms")} ms, baseline /d1 ${facts.get("d1_alone_ms")} ms`,
    `noise       other-cpu (other processes' CPU during the measured 10 s; above ${QUIET_OTHER_CPU} % measured again, the quietest kept): ` +
      `/d1 ${load.d1.other}% (${load.d1.tries}), Better Auth sign-in ${load.betterAuth.other}% (${load.betterAuth.tries}), ` +
      `printid /me ${load.me.other}% (${load.me.tries}), printid sign-in ${load.signIn.other}% (${load.signIn.tries})`,
    ...(figures.some((cells) => cells[5].endsWith("(noisy)"))
      ? [`            (noisy): a row of the pair was measured above ${QUIET_OTHER_CPU} %, so its ratio is off by the difference: run again on a quiet machine`]
      : []),
    "",
    `printid only (rule L under a burst; autocannon, ${burst.connections} connections × ${burst.seconds} s):`,
    `  (d) sign-in burst, 1 user, default lockout: ${d.ok} signed in (${num(d.rps)} req/s, p50 ${num(d.p50, 0)} ms, p99 ${num(d.p99, 0)} ms), ` +
      `${d.refused} refused${refusals ? ` (${refusals})` : ""}; goal 0 refused: ${d.refused === 0 ? "met" : "MISSED"}`,
    `  (e) GET /me on 1 connection during (d): p50 ${num(meLoaded.p50)} ms, p99 ${num(meLoaded.p99)} ms; ` +
      `unloaded just before: p50 ${num(meUnloaded.p50)} ms, p99 ${num(meUnloaded.p99)} ms (×${num(meLoaded.p50 / meUnloaded.p50)} at p50)`,
    "",
    `${Math.round(elapsed / 1000)} s in all; logs, builds, results.tsv and the harness's report.txt in ${relative(root, outDir)}/`,
  ].join("\n"));
  if (problems.length > 0) throw new Error(`some figures could not be measured:\n  ${problems.join("\n  ")}`);
}

async function main() {
  const began = Date.now();
  requireWrk();
  const outDir = join(peers, "out", new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z"));
  await runHarness(outDir);
  console.error("[npm run bench] cold start: wrangler check startup, printid and baseline alternated");
  const startup = coldStart(outDir);
  summary(outDir, startup, Date.now() - began);
}

main().catch((error) => {
  console.error(`bench failed: ${error.message}`);
  process.exitCode = 1;
});
