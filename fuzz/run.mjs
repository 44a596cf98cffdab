// `npm run fuzz`: sends mutated requests to every operation of /openapi.json and checks every answer against
// the HTTP contract. Never part of `npm test`. fuzz/README.md says what it sends and how to read the output.
//   1. its own wrangler dev --env eu (own ports, state, secrets) and local OIDC providers (fuzz/harness.mjs),
//   2. per operation a fresh tenant with an admin, a user and tokens, 3. N requests (fuzz/requests.mjs),
//   4. every answer checked (fuzz/contract.mjs), 5. a summary, violations with reproductions, exit 1 if any.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { check, checkPage } from "./contract.mjs";
import { consoleRequest, consoleSession, consoleTargets } from "./console.mjs";
import { Harness } from "./harness.mjs";
import { generate, idTokenPool, makeRng, serialize } from "./requests.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = `npm run fuzz -- [options]
  --per-op N        requests per operation (default 2000)
  --seconds S       bound on the whole run's fuzzing time (default 2400); each operation gets up to three
                    equal shares of what is left, and the run says when one was cut short
  --concurrency C   requests in flight (default 6)
  --port P          first port to try (default 8850; 8787, 8788, 8791-8793, 9229, 9230 are never used)
  --only REGEX      only operations whose "METHOD /path" matches
  --seed N          seed of the mutation choices (default: random, printed)
  --show N          example requests shown per kind of violation (default 1)
  --out DIR         where violations.jsonl and the Worker's log go (default: a new temporary directory)
  --no-shrink       do not try to shrink each violation to a minimal reproduction
  --keep            keep the temporary wrangler state`;

const { values: opts } = parseArgs({
  options: {
    "per-op": { type: "string", default: "2000" }, seconds: { type: "string", default: "2400" }, concurrency: { type: "string", default: "6" },
    port: { type: "string", default: "8850" }, only: { type: "string" }, seed: { type: "string" }, show: { type: "string", default: "1" },
    out: { type: "string" }, "no-shrink": { type: "boolean", default: false }, keep: { type: "boolean", default: false }, help: { type: "boolean", default: false },
  },
});
if (opts.help) { console.log(USAGE); process.exit(0); }
const PER_OP = Number(opts["per-op"]);
const SECONDS = Number(opts.seconds);
const CONCURRENCY = Number(opts.concurrency);
const SEED = opts.seed !== undefined ? Number(opts.seed) : Math.floor(Math.random() * 2 ** 31);
const SHOW = Number(opts.show);

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 2 });

/**
 * One request on the wire; never throws (a failure is { error }). A connection the server closed under a
 * kept-alive socket (EPIPE, reset, hang-up: it may answer an oversized body early and close), or no answer
 * in time, is retried once on a fresh connection; only a failure there counts (a success is listed apart).
 */
async function send(origin, wire, timeoutMs = 30_000) {
  const first = await sendOnce(origin, wire, timeoutMs, agent);
  if (!first.error) return first;
  const again = await sendOnce(origin, wire, timeoutMs, false);
  return again.error ? { ...again, error: `${again.error} (and before that, on a kept-alive connection: ${first.error})` } : { ...again, retried: first.error };
}

function sendOnce(origin, wire, timeoutMs, agent) {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const start = performance.now();
    const headers = { ...wire.headers };
    if (wire.body !== undefined) {
      if (wire.chunked) headers["transfer-encoding"] = "chunked";
      else headers["content-length"] = String(wire.body.length);
    }
    let req;
    try {
      req = http.request({ host: hostname, port, method: wire.method, path: wire.path, headers, agent, setHost: true });
    } catch (error) {
      return resolve({ unsendable: String(error.message ?? error) });
    }
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on("response", (res) => {
      const chunks = [];
      let size = 0;
      res.on("data", (chunk) => { size += chunk.length; if (size < 2_000_000) chunks.push(chunk); });
      res.on("end", () => { clearTimeout(timer); resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - start }); });
      res.on("error", (error) => { clearTimeout(timer); resolve({ error: String(error.message ?? error), ms: performance.now() - start }); });
    });
    req.on("error", (error) => { clearTimeout(timer); resolve({ error: String(error.message ?? error), ms: performance.now() - start }); });
    if (wire.body !== undefined && wire.chunked && wire.body.length > 1) {
      req.write(wire.body.subarray(0, wire.body.length >> 1));
      req.end(wire.body.subarray(wire.body.length >> 1));
    } else req.end(wire.body);
  });
}

// ---- reproduction --------------------------------------------------------------------------------------
const q = (text) => `'${String(text).replaceAll("'", "'\\''")}'`;

/** A curl command line; tokens become named shell variables, long values are shortened (the JSONL has all). */
function curl(origin, wire, names) {
  const hide = (text) => {
    let out = String(text);
    for (const [secret, name] of names) if (secret && out.includes(secret)) out = out.replaceAll(secret, name);
    return out;
  };
  const cut = (text, max) => (text.length > max ? `${text.slice(0, max)}…<${text.length} chars in all>` : text);
  const parts = [`curl -si -X ${wire.method} ${q(origin + hide(wire.path))}`];
  for (const [name, value] of Object.entries(wire.headers)) {
    if (name === "user-agent" && value === "printid-fuzz") continue;
    for (const one of [value].flat()) parts.push(`-H ${q(`${name}: ${cut(hide(one), 300)}`)}`);
  }
  if (wire.chunked) parts.push(`-H 'transfer-encoding: chunked'`);
  if (wire.body !== undefined) {
    const text = wire.body.toString("utf8");
    const printable = Buffer.from(text, "utf8").equals(wire.body) && !/[\u0000-\u0008\u000e-\u001f]/.test(text);
    if (printable && text.length <= 600) parts.push(`--data-raw ${q(hide(text))}`);
    else if (printable) parts.push(`--data-raw ${q(cut(hide(text), 400))}`);
    else parts.push(`--data-binary @<(echo ${wire.body.subarray(0, 600).toString("base64")} | base64 -d)${wire.body.length > 600 ? ` # first 600 of ${wire.body.length} bytes` : ""}`);
  }
  return parts.join(" \\\n    ");
}

function signature(opKey, violation, res) {
  let code = "";
  try { const body = JSON.parse(res.body?.toString() ?? ""); code = body.code ?? body.error ?? ""; } catch { /* not JSON */ }
  const detail = violation.kind === "accepted" ? violation.message.replace(/^\d+: /, "") : violation.kind === "5xx" || violation.kind === "no-answer" ? "" : violation.message.replace(/\d{3,}/g, "N").slice(0, 90);
  return `${opKey} | ${violation.kind} | ${res.status ?? "-"} ${code} | ${detail}`;
}

// ---- main ----------------------------------------------------------------------------------------------
async function main() {
  const work = mkdtempSync(join(tmpdir(), "printid-fuzz-"));
  const out = opts.out ?? join(work, "out");
  mkdirSync(out, { recursive: true });
  const jsonl = join(out, "violations.jsonl");
  writeFileSync(jsonl, "");
  const h = new Harness({ root, work, basePort: Number(opts.port), log: console.log });
  let cleaned = false;
  const cleanUp = async () => {
    if (cleaned) return;
    cleaned = true;
    agent.destroy();
    await h.stopAll();
    if (h.logPath) try { writeFileSync(join(out, "wrangler.log"), readFileSync(h.logPath)); } catch { /* none */ }
    // What is left is the output directory (violations.jsonl, wrangler.log), unless --keep.
    if (!opts.keep) for (const dir of ["state", "build", "registry"]) rmSync(join(work, dir), { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => void cleanUp().then(() => process.exit(130)));
  let exitCode = 0;
  try {
    const t0 = Date.now();
    await h.start();
    const doc = await fetch(`${h.origin}/openapi.json`).then((r) => r.json());
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, spec]) => ({ path, method, spec, key: `${method.toUpperCase()} ${path}` })))
      .filter((op) => !opts.only || new RegExp(opts.only).test(op.key));
    console.log(`code: a build of the working tree at ${codeState()}`);
    console.log(`printid fuzz: wrangler dev --env eu --log-level warn at ${h.origin} (providers on ${Object.values(h.providers).map((p) => p.port).join(", ")}), ` +
      `started in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${ops.length} operations × ${PER_OP} requests, ${CONCURRENCY} in flight, seed ${SEED}, ≤ ${SECONDS} s`);
    const foreign = await h.tenantFixture();
    const rng = makeRng(SEED);
    const deadline = Date.now() + SECONDS * 1000;
    const results = [];
    const groups = new Map(); // signature -> { count, examples: [...] }
    const ignored = new Map(); // answers of wrangler dev itself, not of the Worker -> count
    const sentSecrets = new Set([h.operatorToken]); // passwords and tokens sent: never to be logged
    for (const [index, op] of ops.entries()) {
      // Up to three times an equal share of what is left: most operations need far less, hashing ones more.
      const budgetMs = Math.max(5000, Math.min(deadline - Date.now(), (3 * (deadline - Date.now())) / (ops.length - index)));
      const opDeadline = Date.now() + budgetMs;
      const opStart = Date.now();
      const f = await h.tenantFixture({ extraRefresh: /\/token$/.test(op.path) ? 12 : 0, codes: /\/token$/.test(op.path) ? 6 : 0 });
      f.userPassword = f.password;
      for (const secret of [f.password, f.userAccess, f.adminAccess, f.userRefresh, f.adminRefresh, f.revokedRefresh, ...f.refresh]) sentSecrets.add(secret);
      const pools = { refresh: [...f.refresh], spent: [f.userRefresh], codes: [...f.codes], callbacks: [], idTokens: [], cursors: [] };
      if (/callback/.test(op.path)) for (let i = 0; i < 40; i++) pools.callbacks.push(await h.pendingCallback(f.slug, op.method === "post" ? "apple" : ["google", "microsoft", "apple"][i % 3]));
      if (/id-token/.test(op.path)) pools.idTokens = await idTokenPool(h, f);
      const ctx = { h, f, foreign, rng, pools, op };
      const names = new Map([[f.userAccess, "$USER_TOKEN"], [f.adminAccess, "$ADMIN_TOKEN"], [h.operatorToken, "$OPERATOR_TOKEN"], [f.userRefresh, "$USER_REFRESH"],
        [f.revokedAccess, "$REVOKED_SESSION_TOKEN"], [f.revokedRefresh, "$REVOKED_REFRESH"], [f.userIdToken, "$USER_ID_TOKEN"], [foreign.adminAccess, "$OTHER_TENANT_ADMIN_TOKEN"], [foreign.userAccess, "$OTHER_TENANT_USER_TOKEN"]]);
      const stats = { key: op.key, sent: 0, statuses: new Map(), violations: 0, notes: new Map(), ignored: 0, unsendable: 0, cut: false };
      let issued = 0;
      const worker = async () => {
        while (issued < PER_OP && Date.now() < opDeadline) {
          issued++;
          const s = await generate(doc, op, ctx);
          const wire = serialize(s, ctx);
          const res = await send(h.origin, wire);
          if (res.unsendable) { stats.unsendable++; continue; }
          for (const secret of wire.secrets ?? []) if (sentSecrets.size < 50_000) sentSecrets.add(secret);
          stats.sent++;
          const status = res.status ?? "none";
          stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
          const verdict = check(doc, op, wire, res);
          if (verdict.ignored) ignored.set(verdict.ignored, (ignored.get(verdict.ignored) ?? 0) + 1);
          if (res.retried) {
            const why = `answered only when sent again on a fresh connection (first: ${res.retried.replace(/\d+ ms/, "N ms")}), ${op.key}`;
            ignored.set(why, (ignored.get(why) ?? 0) + 1);
          }
          for (const note of verdict.notes) stats.notes.set(`${note.kind}: ${note.message}`, (stats.notes.get(`${note.kind}: ${note.message}`) ?? 0) + 1);
          if (verdict.violations.length) stats.violations++;
          for (const violation of verdict.violations) {
            const sig = signature(op.key, violation, res);
            const group = groups.get(sig) ?? { count: 0, examples: [], op, names, severity: severity(violation.kind) };
            group.count++;
            if (group.examples.length < Math.max(SHOW, 1)) group.examples.push({ wire, res, violation, curl: curl(h.origin, wire, new Map([...names, ...Object.entries(wire.placeholders ?? {})])) });
            groups.set(sig, group);
            appendFileSync(jsonl, JSON.stringify({ op: op.key, ...violation, status: res.status, responseHeaders: res.headers, responseBody: res.body?.toString().slice(0, 2000),
              request: { method: wire.method, path: wire.path, headers: wire.headers, body: wire.body?.toString("base64"), notes: wire.notes } }) + "\n");
          }
          afterResponse(op, s, res, ctx);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      stats.cut = stats.sent + stats.unsendable < PER_OP;
      results.push(stats);
      const hist = [...stats.statuses].sort(([a], [b]) => String(a).localeCompare(String(b))).map(([s, n]) => `${s}:${n}`).join(" ");
      console.log(`${op.key.padEnd(48)} ${((Date.now() - opStart) / 1000).toFixed(0).padStart(4)} s  sent ${String(stats.sent).padStart(5)}${stats.cut ? " (CUT SHORT by --seconds)" : ""}  violations ${String(stats.violations).padStart(4)}  ${hist}`);
      if (!h.workerAlive()) throw new Error(`wrangler dev exited during ${op.key}; see ${join(out, "wrangler.log")}`);
    }

    // The console's form posts (not API, not in /openapi.json): a quarter of --per-op each, no 5xx.
    if (!opts.only || /console/.test(opts.only)) {
      const f = await h.tenantFixture();
      let session;
      try { session = await consoleSession(h, f); } catch (error) { console.log(`console forms: skipped (${error.message.slice(0, 200)})`); }
      for (const target of session ? consoleTargets(f, session) : []) {
        const op = { key: target[0], path: target[1], method: "post", spec: { responses: {} } };
        const stats = { key: op.key, sent: 0, statuses: new Map(), violations: 0, notes: new Map(), cut: false };
        const count = Math.ceil(PER_OP / 4);
        const opDeadline = Date.now() + Math.max(5000, (deadline - Date.now()) / 4);
        const opStart = Date.now();
        let issued = 0;
        const names = new Map([[session.cookies, "$CONSOLE_COOKIES"], [session.signInCookies, "$SIGN_IN_COOKIE"]]);
        const worker = async () => {
          while (issued < count && Date.now() < opDeadline) {
            issued++;
            const wire = consoleRequest(rng, target, h);
            const res = await send(h.origin, wire);
            if (res.unsendable) continue;
            stats.sent++;
            stats.statuses.set(res.status ?? "none", (stats.statuses.get(res.status ?? "none") ?? 0) + 1);
            const verdict = checkPage(wire, res);
            if (verdict.ignored) ignored.set(verdict.ignored, (ignored.get(verdict.ignored) ?? 0) + 1);
            if (verdict.violations.length) stats.violations++;
            for (const violation of verdict.violations) {
              const sig = signature(op.key, violation, res);
              const group = groups.get(sig) ?? { count: 0, examples: [], op, names, severity: severity(violation.kind), page: true };
              group.count++;
              if (group.examples.length < Math.max(SHOW, 1)) group.examples.push({ wire, res, violation, curl: curl(h.origin, wire, names) });
              groups.set(sig, group);
              appendFileSync(jsonl, JSON.stringify({ op: op.key, ...violation, status: res.status, responseBody: res.body?.toString().slice(0, 2000),
                request: { method: wire.method, path: wire.path, headers: wire.headers, body: wire.body?.toString("base64"), notes: wire.notes } }) + "\n");
            }
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        stats.cut = stats.sent < count;
        results.push(stats);
        const hist = [...stats.statuses].sort(([a], [b]) => String(a).localeCompare(String(b))).map(([st, n]) => `${st}:${n}`).join(" ");
        console.log(`${op.key.padEnd(48)} ${((Date.now() - opStart) / 1000).toFixed(0).padStart(4)} s  sent ${String(stats.sent).padStart(5)}${stats.cut ? " (CUT SHORT by --seconds)" : ""}  violations ${String(stats.violations).padStart(4)}  ${hist}`);
      }
    }

    // Issue 10, point 8: logs never hold passwords or e-mail addresses (what --log-level warn shows of them).
    const logLeaks = scanLog(h.logPath, sentSecrets);
    for (const leak of logLeaks) {
      const sig = `worker log | log-leak | - | ${leak.what}`;
      const group = groups.get(sig) ?? { count: 0, examples: [], op: { key: "worker log" }, names: new Map(), severity: severity("log-leak"), log: true };
      group.count++;
      if (group.examples.length < Math.max(SHOW, 1)) group.examples.push({ violation: { kind: "log-leak", message: leak.line }, log: true });
      groups.set(sig, group);
    }

    if (!opts["no-shrink"]) for (const group of groups.values()) group.minimal = await shrink(h, doc, group);
    report(results, groups, out, h);
    if (ignored.size) console.log(`\nNot counted (answers of wrangler dev, not of the Worker): ${[...ignored].map(([why, n]) => `${n} × ${why}`).join("; ")}`);
    const total = results.reduce((s, r) => s + r.sent, 0);
    const bad = [...groups.values()].reduce((s, g) => s + g.count, 0);
    const cut = results.filter((r) => r.cut).length;
    console.log(`\n${total} requests to ${results.length} operations in ${((Date.now() - t0) / 1000).toFixed(0)} s (seed ${SEED}); ` +
      `${groups.size} kinds of violation, ${bad} violations in all${cut ? `; ${cut} operations CUT SHORT by --seconds` : ""}. Details: ${jsonl}`);
    exitCode = groups.size > 0 ? 1 : cut > 0 ? 3 : 0;
  } catch (error) {
    console.error(`fuzz failed: ${error.stack ?? error}`);
    exitCode = 2;
  } finally {
    await cleanUp();
  }
  process.exit(exitCode);
}

/** Which code the build holds: the commit, and files under src/ changed since (others work in this tree). */
function codeState() {
  const git = (...args) => spawnSync("git", args, { cwd: root, encoding: "utf8" }).stdout?.trim() ?? "";
  const changed = git("status", "--porcelain", "--", "src", "wrangler.toml", "migrations").split("\n").filter(Boolean).length;
  return `${git("log", "-1", "--format=%h %s").slice(0, 90)}${changed ? ` + uncommitted changes in ${changed} files` : ""}`;
}

/** Lines of the Worker's log that hold a password or token the run sent, or an e-mail address. */
function scanLog(path, secrets) {
  let text;
  try { text = readFileSync(path, "utf8"); } catch { return []; }
  const leaks = [];
  const strong = [...secrets].filter((secret) => secret.length >= 10);
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
    if (!line.trim()) continue;
    const secret = strong.find((x) => line.includes(x));
    if (secret) leaks.push({ what: "a password or token the run sent", line: line.replaceAll(secret, "<SECRET>").slice(0, 300) });
    const email = line.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/);
    if (email && !/workers\.cloudflare\.com/.test(line)) leaks.push({ what: "an e-mail address", line: line.slice(0, 300) });
  }
  return leaks;
}

/** State the next valid requests depend on: cursors of pages, the user's current password. */
function afterResponse(op, s, res, ctx) {
  if (res.status >= 200 && res.status < 300 && res.body?.length) {
    try {
      const body = JSON.parse(res.body.toString());
      if (typeof body.nextCursor === "string") ctx.pools.cursors.push(body.nextCursor);
      if (typeof body.refresh_token === "string" && ctx.pools.refresh.length < 20 && /\/token$/.test(op.path)) ctx.pools.refresh.push(body.refresh_token);
    } catch { /* not JSON */ }
  }
  if (res.status === 204 && /\/me\/password$/.test(op.path) && s.matchesOp && typeof s.body?.json?.newPassword === "string") ctx.f.userPassword = s.body.json.newPassword;
}

const SEVERITY = ["5xx", "no-answer", "accepted", "leak", "log-leak", "slow", "no-retry-after", "oauth-shape", "problem-shape", "validation-errors", "problem-code", "oauth-code",
  "redirect", "redirect-error-code", "2xx-schema", "2xx-body", "undocumented-2xx-3xx", "cache-control", "request-id", "problem-detail", "status"];
const severity = (kind) => { const i = SEVERITY.indexOf(kind); return i < 0 ? SEVERITY.length : i; };

/**
 * A smaller request that still shows the same violation: extra headers dropped, then JSON body fields
 * one at a time. A few re-sends per kind of violation, against the same Worker.
 */
async function shrink(h, doc, group) {
  const [example] = group.examples;
  if (!example || example.log) return undefined;
  const same = async (wire) => {
    const res = await send(h.origin, wire);
    if (res.unsendable) return false;
    return (group.page ? checkPage(wire, res) : check(doc, group.op, wire, res)).violations.some((v) => v.kind === example.violation.kind) && res.status === example.res.status;
  };
  let wire = { ...example.wire, headers: { ...example.wire.headers } };
  let changed = false;
  for (const name of Object.keys(wire.headers)) {
    if (["content-type", "authorization", "cf-connecting-ip"].includes(name)) continue;
    const headers = { ...wire.headers };
    delete headers[name];
    if (await same({ ...wire, headers })) { wire = { ...wire, headers }; changed = true; }
  }
  let json;
  try { json = JSON.parse(wire.body?.toString() ?? ""); } catch { json = undefined; }
  if (json && typeof json === "object" && !Array.isArray(json)) {
    for (const key of Object.keys(json)) {
      const smaller = { ...json };
      delete smaller[key];
      const body = Buffer.from(JSON.stringify(smaller));
      if (await same({ ...wire, body })) { json = smaller; wire = { ...wire, body }; changed = true; }
    }
  }
  return changed ? wire : undefined;
}

function report(results, groups, out, h) {
  const sorted = [...groups.entries()].sort(([, a], [, b]) => a.severity - b.severity || b.count - a.count);
  if (sorted.length) console.log(`\nVIOLATIONS (${sorted.length} kinds, most severe first; 'count' = requests that showed it):`);
  for (const [sig, group] of sorted) {
    console.log(`\n● ${sig}   count ${group.count}`);
    for (const example of group.examples.slice(0, SHOW)) {
      console.log(`  why:  ${example.violation.message.slice(0, 400)}`);
      if (example.log) continue;
      console.log(`  sent: ${example.wire.notes.join("; ")}`);
      const body = example.res.body?.toString().slice(0, 300) ?? "";
      console.log(`  got:  ${example.res.status ?? example.res.error} ${example.res.headers?.["content-type"] ?? ""} ${body}`);
      console.log(`  ${example.curl.replaceAll("\n", "\n  ")}`);
    }
    if (group.minimal) {
      const names = new Map([...group.names, ...Object.entries(group.minimal.placeholders ?? {})]);
      console.log(`  shrunk: ${curl(h.origin, group.minimal, names).replaceAll("\n", "\n  ")}`);
    }
  }
  // Notes: what the descriptions do not list (reported, not failing).
  const notes = new Map();
  for (const r of results) for (const [note, count] of r.notes) notes.set(note, (notes.get(note) ?? 0) + count);
  if (notes.size) {
    console.log("\nNOTES (not failing): answers /openapi.json or API.md do not list");
    for (const [note, count] of [...notes].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${String(count).padStart(6)}  ${note}`);
    if (notes.size > 40) console.log(`  … ${notes.size - 40} more`);
  }
  // What the Worker logged as errors: the internal reasons behind 5xx.
  try {
    const lines = readFileSync(h.logPath, "utf8").split("\n").map((line) => line.replace(/\x1b\[[0-9;]*m/g, ""));
    const counts = new Map();
    let other = 0;
    for (const line of lines) {
      const at = line.indexOf("{");
      let entry;
      try { entry = at >= 0 ? JSON.parse(line.slice(at)) : undefined; } catch { entry = undefined; }
      let key;
      // The Worker's log line (src/http/problem.ts): { level, requestId, method, route, status, code, reason }.
      if (entry?.level === "error") key = `${entry.code ?? ""} ${entry.method ?? ""} ${entry.route ?? entry.task ?? ""}: ${String(entry.reason).slice(0, 160)}`;
      else if (!entry && /Uncaught|Error:|\[ERROR\]|exception/i.test(line) && !/workers\.cloudflare\.com/.test(line)) key = line.slice(0, 200);
      else { if (line.trim()) other++; continue; }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    if (other) console.log(`\nWorker log: ${other} lines below level error (warnings) not shown; see ${join(out, "wrangler.log")}`);
    if (counts.size) {
      console.log(`\nWORKER ERROR LOG (distinct reasons of error-level lines):`);
      for (const [key, count] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${String(count).padStart(6)}  ${key}`);
    }
  } catch { /* no log */ }
}

main();
