// `npm run dev`: both regions on this machine, with a demo tenant in each. Safe to re-run.
//   1. .dev.vars from .dev.vars.example (fresh secrets), 2. local D1 migrations of every shard of eu and us,
//   3. a local stand-in (scripts/stand-in-providers.mjs, in this process) for each of Apple, Google and Microsoft
//      that .dev.vars does not configure, 4. `wrangler dev` for eu, then us, 5. demo tenants through the
//      operator API, 6. a banner saying which providers are stand-ins and which are yours.
// Ctrl-C (or either Worker dying) stops both Workers, workerd included, and the stand-ins, and says so.
import { spawn, spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { startDemoRelyingParty } from "./demo-rp.mjs";
import { configOf, labels, startStandIns, workerVars } from "./stand-in-providers.mjs";
import { signalGroup, stopGroups } from "./process-group.mjs";
import { shardBindings } from "./shards.mjs";
import { newSigningKeys, withRsaKey } from "./signing-keys.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
const wrangler = join(bin, "wrangler");
// wrangler's launcher runs `#!/usr/bin/env node`; putting node_modules/.bin first (as `npm run` does)
// makes that the pinned Node 24 even when this script is started some other way. Two lookups on the
// Internet are turned off unless the environment asks for them: wrangler's telemetry (WRANGLER_SEND_METRICS)
// and miniflare's download of the `Request.cf` sample (CLOUDFLARE_CF_FETCH_ENABLED), whose failure without
// Internet prints a warning with a stack trace; the Worker then sees miniflare's built-in `request.cf`.
const childEnv = {
  ...process.env,
  PATH: `${bin}:${process.env.PATH}`,
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
};

/** Both regions; `shards`: each one's D1 bindings (DB, DB_2, …) as wrangler.toml has them, every one migrated. */
const regions = [
  { name: "eu", port: 8787, inspectorPort: 9229, tenant: "demo", displayName: "Demo" },
  { name: "us", port: 8788, inspectorPort: 9230, tenant: "demo-us", displayName: "Demo US" },
].map((region) => ({ ...region, origin: `http://127.0.0.1:${region.port}`, shards: shardBindings(region.name) }));

/**
 * The stand-ins for Apple, Google and Microsoft: fixed ports, the dev Workers' client ids, dev.user signing
 * in unless the authorization request names another person (npm run oauth:try -- --user), and Microsoft
 * laid out per directory as login.microsoftonline.com is.
 */
const localProviders = [
  { name: "apple", port: 8791, clientId: "com.printid.dev.web", nativeClientIds: ["com.printid.dev.app"] },
  { name: "google", port: 8792, clientId: "google-dev-client", nativeClientIds: ["google-dev-ios-client", "google-dev-android-client"] },
  { name: "microsoft", port: 8793, clientId: "microsoft-dev-client", nativeClientIds: ["microsoft-dev-native-client"], microsoftDirectories: true },
].map((settings) => ({ ...settings, defaultLogin: "dev.user", label: labels[settings.name] }));

/** The Worker vars pointing one provider at its stand-in (its secrets are in .dev.vars). */
const providerVars = (standIn) => workerVars(configOf(standIn));

const children = [];
let stopping = false;
let stopStandIns = async () => {};
/** The demo web application (scripts/demo-rp.mjs), once it listens. */
let demoApp;
/** "Apple, Google and Microsoft": the stand-ins this run started, for the stop message. */
let standInLabels = "";
const listOf = (items) => (items.length > 1 ? `${items.slice(0, -1).join(", ")} and ${items.at(-1)}` : (items[0] ?? ""));

/** `KEY=value` lines of a dotenv file, in order; comments and blank lines are skipped. */
function parseVars(text) {
  const entries = text.split(/\r?\n/).map((line) => line.match(/^\s*([A-Za-z_]\w*)\s*=(.*)$/)).filter(Boolean);
  return new Map(entries.map(([, key, value]) => [key, value.trim().replace(/^(["'])(.*)\1$/, "$2")]));
}

const devKid = () => `dev-${randomBytes(6).toString("hex")}`;

/** A SIGNING_KEYS value: a fresh EC P-256 key (ES256) and RSA key (RS256), private JWKs with a `kid`. */
const signingKeys = () => JSON.stringify(newSigningKeys(devKid()));

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

/**
 * Creates .dev.vars, or appends the keys a newer .dev.vars.example added; changes no value, except signing
 * keys of EC only, which get an RSA key (addRsaKeys).
 */
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
  addRsaKeys(path);
  return parseVars(readFileSync(path, "utf8"));
}

/**
 * SIGNING_KEYS_EU and _US of a .dev.vars made before ID tokens were signed RS256 hold EC keys only, which
 * the Worker now refuses: each gets an RSA key added, the one change made to an existing value.
 */
function addRsaKeys(path) {
  let text = readFileSync(path, "utf8");
  const upgraded = [];
  for (const key of regions.map((region) => `SIGNING_KEYS_${region.name.toUpperCase()}`)) {
    const current = parseVars(text).get(key);
    const completed = current && withRsaKey(current, devKid());
    if (!completed) continue;
    // A function as replacement: the JSON is inserted as it is, `$` and all.
    text = text.replace(new RegExp(`^([ \\t]*${key}[ \\t]*=).*$`, "m"), (_, assignment) => assignment + completed);
    upgraded.push(key);
  }
  if (upgraded.length === 0) return;
  writeFileSync(path, text);
  console.log(`Added an RSA signing key (RS256 ID tokens) to ${upgraded.join(" and ")} in .dev.vars.`);
}

/**
 * Local D1 migrations of one shard of a region; the shards and regions one after the other (wrangler has
 * them in one .wrangler/state). CI=true and no stdin: wrangler skips its "continue?" prompt.
 */
function migrate(region, shard) {
  const args = ["d1", "migrations", "apply", shard, "--local", "--env", region.name];
  const result = spawnSync(wrangler, args, {
    cwd: root, env: { ...childEnv, CI: "true" }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8",
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`wrangler ${args.join(" ")} failed`);
  }
  // wrangler lists the pending migrations in a one-column table, then prints the whole status table again
  // after each one it applies: the pending list, and each one's last status, are the truth.
  const pending = [...new Set(Array.from(result.stdout.matchAll(/^│ (\S+\.sql)\s+│\s*$/gm), (row) => row[1]))];
  const status = new Map(Array.from(result.stdout.matchAll(/^│ (\S+\.sql)\s+│ (\S+)/gm), (row) => [row[1], row[2]]));
  const failed = pending.filter((name) => status.get(name) !== "✅");
  if (failed.length > 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`D1 migrations of ${region.name} ${shard}: ${failed.join(", ")} not applied`);
  }
  console.log(`D1 migrations of ${region.name} ${shard}: ${pending.length ? `applied ${pending.join(", ")}` : "up to date"}.`);
}

/**
 * The demo web application, a confidential client (README "Clients"): its secret is DEMO_WEB_CLIENT_SECRET
 * of .dev.vars, printed in the banner; the Workers are given only its SHA-256.
 */
const DEMO_APP_PORT = 8789;
const demoWebClient = {
  id: "printid-web-demo",
  name: "Demo web app",
  redirectUris: [`http://127.0.0.1:${DEMO_APP_PORT}/callback`],
  postLogoutRedirectUris: [`http://127.0.0.1:${DEMO_APP_PORT}/`],
};

/** CLIENTS for both Workers: .dev.vars' own (the dev app) and the demo web client with its secret's hash. */
function clientsVar(vars) {
  const secretHash = createHash("sha256").update(vars.get("DEMO_WEB_CLIENT_SECRET")).digest("base64url");
  return JSON.stringify([...JSON.parse(vars.get("CLIENTS") ?? "[]"), { ...demoWebClient, secretHash }]);
}

/** The provider keys a stand-in sets on the command line, which would hide the same keys in .dev.vars. */
const endpointKeys = ["NATIVE_CLIENT_IDS", "ISSUER", "AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT", "JWKS_URI"];

/**
 * Who serves each provider. `<P>_CLIENT_ID` in .dev.vars decides: absent (or the stand-in's own id) → the
 * local stand-in, with its client ids and endpoints passed as --var; set to anything else → yours, used as
 * .dev.vars (and wrangler.toml) configure it, nothing passed; empty → off (the Worker does not offer it).
 */
function providerSources(vars) {
  return localProviders.map((standIn) => {
    const prefix = standIn.name.toUpperCase();
    const clientId = vars.get(`${prefix}_CLIENT_ID`);
    if (clientId === "") return { ...standIn, source: "off" };
    if (clientId !== undefined && clientId !== standIn.clientId) {
      return { ...standIn, source: "yours", clientId, authorization: vars.get(`${prefix}_AUTHORIZATION_ENDPOINT`) || undefined };
    }
    const hidden = endpointKeys.map((key) => `${prefix}_${key}`).filter((key) => vars.get(key) && vars.get(key) !== providerVars(standIn)[key]);
    if (hidden.length > 0) {
      console.log(
        `Note: ${hidden.join(", ")} in .dev.vars ${hidden.length > 1 ? "are" : "is"} not used: ${prefix}_CLIENT_ID is not set there, ` +
          `so the local stand-in serves ${standIn.label}. Set ${prefix}_CLIENT_ID there to use your own.`,
      );
    }
    return { ...standIn, source: "stand-in" };
  });
}

/** Prefixes each line of a child's output with its region, so two Workers' logs stay readable. */
function relay(stream, prefix, out) {
  createInterface({ input: stream }).on("line", (line) => out.write(`${prefix} ${line}\n`));
}

function startWorker(region, vars, standIns) {
  const args = [
    "dev", "--env", region.name, "--ip", "127.0.0.1", "--port", String(region.port),
    "--inspector-port", String(region.inspectorPort), "--var", `ORIGIN:${region.origin}`,
    "--var", `SIGNING_KEYS:${vars.get(`SIGNING_KEYS_${region.name.toUpperCase()}`)}`,
    "--var", `CREDENTIAL_LOOKUP_KEY:${vars.get(`CREDENTIAL_LOOKUP_KEY_${region.name.toUpperCase()}`)}`,
    "--var", `CLIENTS:${clientsVar(vars)}`,
    // The providers served by local stand-ins: their client ids and endpoints (the secrets are in .dev.vars,
    // the same for both regions). A provider configured in .dev.vars gets nothing here.
    ...standIns.flatMap((provider) => Object.entries(providerVars(provider)).flatMap(([key, value]) => ["--var", `${key}:${value}`])),
    // --test-scheduled: the cron handler runs on GET /__scheduled (the banner says so), instead of a
    // multi-line warning that cron triggers do not fire locally.
    "--test-scheduled", "--log-level", "info", "--show-interactive-dev-session=false",
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
  child.region = region.name;
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

/**
 * The real path (it claims the name in the global directory). A tenant already there (seeded by an earlier
 * run) is looked up first, so that a re-run makes no failing request for the Worker to log.
 */
async function seed(region, token, password) {
  const existing = await fetch(`${region.origin}/t/${region.tenant}`).catch(() => undefined);
  if (existing?.status === 200) {
    return console.log(`Tenant '${region.tenant}' in ${region.name}: already present (seeded before, with the DEMO_ADMIN_PASSWORD of that time).`);
  }
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

const exited = (child) => child.exitCode !== null || child.signalCode !== null;

/**
 * SIGTERM to every child's process group, SIGKILL to what is still there 5 s later (at once on a second
 * Ctrl-C), the stand-ins closed; then says what stopped, or what did not, and exits.
 */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping printid ...");
  const [result] = await Promise.all([stopGroups(children), stopStandIns(), new Promise((resolve) => (demoApp ? demoApp.close(resolve) : resolve()))]);
  const workers = children.map((child) => child.region).join(" and ");
  if (result.alive.length > 0) {
    const groups = result.alive.map((child) => `${child.region}: process group ${child.pid}`).join(", ");
    console.error(`Not everything stopped (${groups}); end it with kill -KILL -<group>.`);
    process.exit(code || 1);
  }
  const what = [workers && `the ${workers} Worker${children.length > 1 ? "s" : ""} (wrangler and workerd)`, standInLabels && `the local ${standInLabels} sign-in`].filter(Boolean);
  console.log(`Stopped ${what.length ? what.join(" and ") : "everything"}: nothing of npm run dev is left running.`);
  process.exit(code);
}

/** A sign-in URL with `provider` to open in a browser: PKCE S256 of a verifier printed beside it. */
function providerTry(region, provider) {
  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    account: "work",
    client_id: "printid-mobile",
    redirect_uri: "dev.printid.app:/oauth/callback",
    state: "xyz",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  return { url: `${region.origin}/t/${region.tenant}/oauth/${provider.name}/authorize?${query}`, verifier };
}

/** One banner line per provider: a local stand-in, yours (from .dev.vars), or off. */
function providerLine(provider) {
  const label = provider.label.padEnd(10);
  if (provider.source === "stand-in") {
    const kinds = provider.name === "microsoft" ? ", work and personal accounts" : "";
    return `    ${label}local stand-in on 127.0.0.1:${provider.port} (made-up people, no Internet${kinds})`;
  }
  if (provider.source === "off") return `    ${label}off (${provider.name.toUpperCase()}_CLIENT_ID is empty in .dev.vars)`;
  let where = `${provider.label} itself`;
  try {
    if (provider.authorization) where = new URL(provider.authorization).host;
  } catch {
    where = provider.authorization;
  }
  const callbacks = regions.map((r) => `${r.origin}/oauth/${provider.name}/callback`).join(", ");
  return `    ${label}yours, from .dev.vars: client ${provider.clientId} at ${where}\n${" ".repeat(14)}its redirect URIs: ${callbacks}`;
}

/** "2 D1 shards (DB, DB_2)": how many databases the region's tenants are spread over. */
const shardsOf = (region) => `${region.shards.length} D1 shard${region.shards.length > 1 ? "s" : ""} (${region.shards.join(", ")})`;

function printBanner(vars, providers) {
  const [eu] = regions;
  const standIns = providers.filter((p) => p.source === "stand-in");
  const lines = [
    "printid is running locally:",
    ...regions.map((r) => `  ${r.name}  ${r.origin}   ${shardsOf(r)}   tenant card: curl ${r.origin}/t/${r.tenant}`),
    ...regions.map((r) => `  demo admin of '${r.tenant}': admin / ${vars.get("DEMO_ADMIN_PASSWORD")}`),
    `  operator token: ${vars.get("OPERATOR_TOKEN")}   (npm run tenant:create -- --help)`,
    `  dev client: printid-mobile, redirect URI dev.printid.app:/oauth/callback`,
    `  hosted sign-in (the OpenID Provider), as a web app uses it: open http://127.0.0.1:${DEMO_APP_PORT}/?start=1 in a browser`,
    `  demo web client: ${demoWebClient.id}, secret ${vars.get("DEMO_WEB_CLIENT_SECRET")}, redirect URI ${demoWebClient.redirectUris[0]}`,
    `  API description: ${eu.origin}/openapi.json`,
    `  e-mails (Email Service, simulated): each one sent is logged here (From, To, Subject); its text and HTML are in .wrangler/tmp/email/`,
    `  daily retention clean-up (cron), now: curl ${eu.origin}/__scheduled   (us: :${regions[1].port})`,
    "  Sign in with:",
    ...providers.map(providerLine),
    ...(standIns.length
      ? [`    try a stand-in, printing the signed-in user: npm run oauth:try -- --provider ${(standIns.find((p) => p.name === "google") ?? standIns[0]).name}   (--help for more)`]
      : []),
    "Ctrl-C stops everything.",
  ];
  const rule = "─".repeat(Math.max(...lines.flatMap((line) => line.split("\n")).map((line) => line.length)));
  console.log(["", rule, ...lines, rule].join("\n"));
  const browser = providers.find((p) => p.name === "google" && p.source !== "off") ?? providers.find((p) => p.source !== "off");
  if (!browser) return;
  const tryIt = providerTry(eu, browser);
  console.log(
    [
      `Sign in with ${browser.label} in a browser: it ends at the app's redirect (dev.printid.app:/oauth/callback?code=…),`,
      `which a browser cannot open; that code redeems at POST /t/${eu.tenant}/token (grant_type=authorization_code,`,
      "client_id=printid-mobile, redirect_uri=dev.printid.app:/oauth/callback, code, and this code_verifier).",
      `  ${tryIt.url}`,
      `  code_verifier: ${tryIt.verifier}`,
      "",
    ].join("\n"),
  );
}

/** Starts the stand-ins of `standIns` and says so; resolves to a function that stops them. */
async function startLocalProviders(standIns) {
  if (standIns.length === 0) return async () => {};
  const { stop } = await startStandIns(standIns).catch((error) => {
    throw error.code === "EADDRINUSE" ? new Error(`${error.message}: is another 'npm run dev' running?`) : error;
  });
  console.log(`Local ${listOf(standIns.map((p) => p.label))} sign-in (stand-in${standIns.length > 1 ? "s" : ""}) on ${standIns.map((p) => `:${p.port}`).join(", ")}.`);
  return stop;
}

async function main() {
  const vars = ensureDevVars();
  const providers = providerSources(vars);
  const standIns = providers.filter((p) => p.source === "stand-in");
  for (const region of regions) for (const shard of region.shards) migrate(region, shard);
  // A second Ctrl-C while stopping kills what is left at once.
  const onSignal = (code) => () => (stopping ? children.forEach((child) => signalGroup(child, "SIGKILL")) : void stop(code));
  process.on("SIGINT", onSignal(130));
  process.on("SIGTERM", onSignal(143));
  stopStandIns = await startLocalProviders(standIns);
  standInLabels = listOf(standIns.map((p) => p.label));
  // Started one after the other: at the same moment, both once crashed with SQLITE_BUSY on .wrangler/state.
  // eu first, because it hosts the tenant directory that us binds.
  for (const region of regions) {
    if (await healthOf(region)) throw new Error(`Port ${region.port} already serves printid: is another 'npm run dev' running?`);
    console.log(`Starting ${region.name} on ${region.origin} ...`);
    await waitForHealth(region, startWorker(region, vars, standIns));
  }
  for (const region of regions) await seed(region, vars.get("OPERATOR_TOKEN"), vars.get("DEMO_ADMIN_PASSWORD"));
  const [eu] = regions;
  demoApp = await startDemoRelyingParty({
    issuer: `${eu.origin}/t/${eu.tenant}`,
    clientId: demoWebClient.id,
    secret: vars.get("DEMO_WEB_CLIENT_SECRET"),
    port: DEMO_APP_PORT,
  });
  printBanner(vars, providers);
}

main().catch((error) => {
  // Stopping (Ctrl-C during start-up) makes the waits fail: that is not an error to report.
  if (stopping) return;
  console.error(`\n${error.message}`);
  void stop(1);
});
