// `npm run dev`: both regions on this machine, with a demo tenant in each. Safe to re-run.
//   1. .dev.vars from .dev.vars.example (fresh secrets), 2. local D1 migrations of eu and us,
//   3. local Apple, Google and Microsoft sign-in (scripts/local-oidc.mjs, in this process),
//   4. `wrangler dev` for eu, then us, 5. demo tenants through the operator API, 6. a banner.
// Ctrl-C (or either Worker dying) stops both Workers, workerd included, and the local providers.
import { spawn, spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { localProviders, providerVars, startLocalOidc } from "./local-oidc.mjs";
import { stopGroups } from "./process-group.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
const wrangler = join(bin, "wrangler");
// wrangler's launcher runs `#!/usr/bin/env node`; putting node_modules/.bin first (as `npm run` does)
// makes that the pinned Node 24 even when this script is started some other way.
const childEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

const regions = [
  { name: "eu", port: 8787, inspectorPort: 9229, tenant: "demo", displayName: "Demo" },
  { name: "us", port: 8788, inspectorPort: 9230, tenant: "demo-us", displayName: "Demo US" },
].map((region) => ({ ...region, origin: `http://127.0.0.1:${region.port}` }));

const children = [];
let stopping = false;
let stopLocalOidc = async () => {};

/** `KEY=value` lines of a dotenv file, in order; comments and blank lines are skipped. */
function parseVars(text) {
  const entries = text.split(/\r?\n/).map((line) => line.match(/^\s*([A-Za-z_]\w*)\s*=(.*)$/)).filter(Boolean);
  return new Map(entries.map(([, key, value]) => [key, value.trim().replace(/^(["'])(.*)\1$/, "$2")]));
}

/** A SIGNING_KEYS value: one fresh ES256 private JWK with a `kid`. */
function signingKeys() {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return JSON.stringify([{ ...privateKey.export({ format: "jwk" }), kid: `dev-${randomBytes(6).toString("hex")}` }]);
}

/**
 * An APPLE_PRIVATE_KEY value: a fresh EC P-256 key as PKCS#8 PEM (what Apple's .p8 file holds), on one
 * line for dotenv: double-quoted, its line breaks written \n (wrangler's .dev.vars parser turns \n in a
 * double-quoted value into a line break; a multi-line quoted value would work there too, but not in the
 * line-by-line parseVars above, nor when appended to an existing .dev.vars).
 */
function appleKey() {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return JSON.stringify(privateKey.export({ format: "pem", type: "pkcs8" }));
}

/** Ten upper-case letters and digits, the shape of Apple's team and key ids. */
const appleId = () => Array.from(randomBytes(10), (byte) => "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[byte % 32]).join("");

const generators = {
  generate: () => randomBytes(24).toString("base64url"),
  "generate-signing-key": signingKeys,
  "generate-apple-key": appleKey,
  "generate-apple-id": appleId,
};
const secretOr = (value) => generators[value]?.() ?? value;

/** Creates .dev.vars, or appends the keys a newer .dev.vars.example added; never changes a value. */
function ensureDevVars() {
  const examplePath = join(root, ".dev.vars.example");
  const path = join(root, ".dev.vars");
  const example = readFileSync(examplePath, "utf8");
  if (!existsSync(path)) {
    writeFileSync(path, example.replace(/^([ \t]*[A-Za-z_]\w*[ \t]*=)(generate[\w-]*)[ \t]*$/gm, (_, key, value) => key + secretOr(value)));
    console.log("Created .dev.vars with fresh secrets.");
  } else {
    const current = readFileSync(path, "utf8");
    const known = parseVars(current);
    const missing = [...parseVars(example)].filter(([key]) => !known.has(key));
    if (missing.length > 0) {
      const lines = missing.map(([key, value]) => `${key}=${secretOr(value)}`);
      appendFileSync(path, (current.endsWith("\n") ? "" : "\n") + lines.join("\n") + "\n");
      console.log(`Added ${missing.map(([key]) => key).join(", ")} to .dev.vars.`);
    }
  }
  return parseVars(readFileSync(path, "utf8"));
}

/** Local D1 migrations, one region after the other. CI=true and no stdin: wrangler skips its "continue?" prompt. */
function migrate(region) {
  const args = ["d1", "migrations", "apply", "DB", "--local", "--env", region.name];
  const result = spawnSync(wrangler, args, {
    cwd: root, env: { ...childEnv, CI: "true" }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8",
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`wrangler ${args.join(" ")} failed`);
  }
  const applied = result.stdout.match(/^│ (\S+\.sql)\s+│ ✅/gm)?.map((row) => row.split(/\s+/)[1]) ?? [];
  console.log(`D1 migrations of ${region.name}: ${applied.length ? `applied ${applied.join(", ")}` : "up to date"}.`);
}

/** Prefixes each line of a child's output with its region, so two Workers' logs stay readable. */
function relay(stream, prefix, out) {
  createInterface({ input: stream }).on("line", (line) => out.write(`${prefix} ${line}\n`));
}

function startWorker(region, vars) {
  const args = [
    "dev", "--env", region.name, "--ip", "127.0.0.1", "--port", String(region.port),
    "--inspector-port", String(region.inspectorPort), "--var", `ORIGIN:${region.origin}`,
    "--var", `SIGNING_KEYS:${vars.get(`SIGNING_KEYS_${region.name.toUpperCase()}`)}`,
    // Apple, Google and Microsoft are the local servers: their client ids and endpoints (the secrets are
    // in .dev.vars, the same for both regions).
    ...localProviders.flatMap((provider) => Object.entries(providerVars(provider)).flatMap(([key, value]) => ["--var", `${key}:${value}`])),
    "--log-level", "warn", "--show-interactive-dev-session=false",
  ];
  // Own process group (detached): wrangler runs workerd as a grandchild, and only killing the whole group
  // stops it. No stdin: the terminal's Ctrl-C reaches this script alone, which then stops the groups.
  const child = spawn(wrangler, args, { cwd: root, env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  relay(child.stdout, `[${region.name}]`, process.stdout);
  relay(child.stderr, `[${region.name}]`, process.stderr);
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`[${region.name}] wrangler exited (${signal ?? `code ${code}`}); stopping everything.`);
    void stop(1);
  });
  children.push(child);
  return child;
}

async function healthOf(region) {
  try {
    const response = await fetch(`${region.origin}/health`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

const exited = (child) => child.exitCode !== null || child.signalCode !== null;

async function waitForHealth(region, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited(child)) {
    const health = await healthOf(region);
    if (health?.region === region.name) return;
    await sleep(500);
  }
  if (exited(child)) throw new Error(`${region.name}: wrangler exited during startup (see its output above)`);
  throw new Error(`${region.name} did not answer ${region.origin}/health within ${timeoutMs / 1000} s`);
}

/** The real path (it claims the name in the global directory). 409 tenant_exists here means: seeded before. */
async function seed(region, token, password) {
  const response = await fetch(`${region.origin}/operator/tenants`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: region.tenant,
      displayName: region.displayName,
      settings: { allowRegistration: true, newUsersActiveByDefault: true },
      admin: { username: "admin", email: `admin@${region.tenant}.example`, password, firstName: "Demo", lastName: "Admin" },
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 201) return console.log(`Seeded tenant '${region.tenant}' in ${region.name}.`);
  if (response.status === 409 && body.code === "tenant_exists" && body.region === region.name) {
    return console.log(`Tenant '${region.tenant}' in ${region.name}: already present (seeded before, with the DEMO_ADMIN_PASSWORD of that time).`);
  }
  throw new Error(`Seeding '${region.tenant}' in ${region.name} failed: ${response.status}\n${JSON.stringify(body, null, 2)}`);
}

/** SIGTERM to every child's process group, SIGKILL to what is still there 5 s later, then exit. */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all([stopGroups(children), stopLocalOidc()]);
  process.exit(code);
}

/** A sign-in URL with Google to open in a browser: PKCE S256 of a verifier printed beside it. */
function providerTry(region) {
  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    account: "work",
    client_id: "printid-mobile",
    redirect_uri: "dev.printid.app:/oauth/callback",
    state: "xyz",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  return { url: `${region.origin}/t/${region.tenant}/oauth/google/authorize?${query}`, verifier };
}

function printBanner(vars) {
  const [eu] = regions;
  const tryIt = providerTry(eu);
  const lines = [
    "printid is running locally:",
    ...regions.map((r) => `  ${r.name}  ${r.origin}   tenant card: curl ${r.origin}/t/${r.tenant}`),
    ...regions.map((r) => `  demo admin of '${r.tenant}': admin / ${vars.get("DEMO_ADMIN_PASSWORD")}`),
    `  operator token: ${vars.get("OPERATOR_TOKEN")}   (npm run tenant:create -- --help)`,
    `  dev client: printid-mobile, redirect URI dev.printid.app:/oauth/callback`,
    `  API description: ${eu.origin}/openapi.json`,
    `  Apple, Google, Microsoft: local sign-in servers on ${localProviders.map((p) => `:${p.port}`).join(", ")} (no Internet)`,
    `    try one, printing the signed-in user: npm run oauth:try -- --provider google   (--help for more)`,
    "Ctrl-C stops everything.",
  ];
  const rule = "─".repeat(Math.max(...lines.map((line) => line.length)));
  console.log(["", rule, ...lines, rule].join("\n"));
  console.log(
    [
      "Sign in with Google in a browser: it ends at the app's redirect (dev.printid.app:/oauth/callback?code=…),",
      `which a browser cannot open; that code redeems at POST /t/${eu.tenant}/token (grant_type=authorization_code,`,
      "client_id=printid-mobile, redirect_uri=dev.printid.app:/oauth/callback, code, and this code_verifier).",
      `  ${tryIt.url}`,
      `  code_verifier: ${tryIt.verifier}`,
      "",
    ].join("\n"),
  );
}

async function main() {
  const vars = ensureDevVars();
  regions.forEach(migrate);
  process.on("SIGINT", () => void stop(130));
  process.on("SIGTERM", () => void stop(143));
  stopLocalOidc = await startLocalOidc();
  // Started one after the other: at the same moment, both once crashed with SQLITE_BUSY on .wrangler/state.
  // eu first, because it hosts the tenant directory that us binds.
  for (const region of regions) {
    if (await healthOf(region)) throw new Error(`Port ${region.port} already serves printid: is another 'npm run dev' running?`);
    console.log(`Starting ${region.name} on ${region.origin} ...`);
    await waitForHealth(region, startWorker(region, vars));
  }
  for (const region of regions) await seed(region, vars.get("OPERATOR_TOKEN"), vars.get("DEMO_ADMIN_PASSWORD"));
  printBanner(vars);
}

main().catch((error) => {
  console.error(`\n${error.message}`);
  void stop(1);
});
