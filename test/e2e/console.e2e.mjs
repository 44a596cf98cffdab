// End to end, in a real browser (Debian's headless Chromium driven by playwright-core) against the real
// runtime (`wrangler dev`, workerd, local D1): an admin signs in to the console, turns "New registered users
// are active by default" off, a registration through the API then waits (202), the admin finds it under
// "Pending activation" and activates it, and the user signs in (200). Rules R and P, through the pages a
// person uses. Run with `npm run test:e2e`; it starts and stops everything it needs, in a temporary
// directory, on free ports, and never reads .dev.vars.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { signalGroup, stopGroups } from "../../scripts/process-group.mjs";
import { shardBindings } from "../../scripts/shards.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(root, "node_modules", ".bin");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CLIENT_ID = "printid-mobile";
const STEP_MS = 15_000;

const state = { dir: "", worker: undefined, browser: undefined, output: [] };
const secrets = {
  operatorToken: randomBytes(24).toString("base64url"),
  adminPassword: `admin-${randomBytes(9).toString("base64url")}`,
};

/** A port nothing listens on right now (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function signingKeys() {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return JSON.stringify([{ ...privateKey.export({ format: "jwk" }), kid: `e2e-${randomBytes(6).toString("hex")}` }]);
}

/** wrangler's launcher runs `#!/usr/bin/env node`: the pinned Node 24 first on the PATH. */
function childEnv() {
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    CI: "true",
    // Nothing of the developer's machine: no .env files, and a dev registry of our own.
    CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "false",
    WRANGLER_REGISTRY_PATH: join(state.dir, "registry"),
    WRANGLER_SEND_METRICS: "false",
  };
}

/** Every shard of the region (DB, DB_2, …): a new tenant may land on any. */
function migrate(persistTo) {
  for (const shard of shardBindings("eu")) {
    const args = ["d1", "migrations", "apply", shard, "--local", "--env", "eu", "--persist-to", persistTo];
    const result = spawnSync(join(bin, "wrangler"), args, {
      cwd: root, env: childEnv(), stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
}

function startWorker({ port, inspectorPort, origin, persistTo, envFile }) {
  const args = [
    "dev", "--env", "eu", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort),
    "--persist-to", persistTo, "--env-file", envFile,
    "--var", `ORIGIN:${origin}`,
    "--var", `OPERATOR_TOKEN:${secrets.operatorToken}`,
    "--var", `SIGNING_KEYS:${signingKeys()}`,
    "--var", `CLIENTS:${JSON.stringify([{ id: CLIENT_ID, redirectUris: ["dev.printid.app:/oauth/callback"] }])}`,
    "--log-level", "warn", "--show-interactive-dev-session=false",
  ];
  // Its own process group: wrangler runs workerd as a grandchild, and only the whole group stops it.
  const child = spawn(join(bin, "wrangler"), args, { cwd: root, env: childEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => state.output.push(String(chunk)));
  return child;
}

const exited = (child) => child.exitCode !== null || child.signalCode !== null;

async function stopWorker() {
  const child = state.worker;
  if (!child) return;
  state.worker = undefined;
  await stopGroups([child]);
}

// However this process ends, the worker's group goes with it.
process.on("exit", () => state.worker && signalGroup(state.worker, "SIGKILL"));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

async function waitForHealth(origin, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited(child)) {
    try {
      const response = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await sleep(300);
  }
  throw new Error(`wrangler dev did not serve ${origin}/health within ${timeoutMs / 1000} s:\n${state.output.join("")}`);
}

/** A JSON request to the Worker, bounded in time. */
async function api(path, body, headers = {}) {
  const response = await fetch(state.origin + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_MS),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/** A full-page screenshot into test-results/ (git-ignored), for a person to look at. */
async function shot(page, name) {
  mkdirSync(join(root, "test-results"), { recursive: true });
  await page.screenshot({ path: join(root, "test-results", name), fullPage: true });
}

before(async () => {
  state.dir = mkdtempSync(join(tmpdir(), "printid-e2e-"));
  const persistTo = join(state.dir, "state");
  const envFile = join(state.dir, "empty.env");
  writeFileSync(envFile, "");
  const [port, inspectorPort] = [await freePort(), await freePort()];
  state.origin = `http://127.0.0.1:${port}`;
  state.tenant = `e2e-${randomBytes(4).toString("hex")}`;

  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  migrate(persistTo);
  state.worker = startWorker({ port, inspectorPort, origin: state.origin, persistTo, envFile });
  await waitForHealth(state.origin, state.worker);

  const seeded = await api(
    "/operator/tenants",
    {
      name: state.tenant,
      displayName: "E2E Print Co",
      settings: { allowRegistration: true, newUsersActiveByDefault: true },
      admin: { username: "admin", email: `admin@${state.tenant}.example`, password: secrets.adminPassword, firstName: "Ada", lastName: "Admin" },
    },
    { authorization: `Bearer ${secrets.operatorToken}` },
  );
  assert.equal(seeded.status, 201, JSON.stringify(seeded.body));

  state.browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
}, { timeout: 150_000 });

after(async () => {
  await state.browser?.close().catch(() => {});
  await stopWorker();
  if (state.dir) rmSync(state.dir, { recursive: true, force: true });
}, { timeout: 30_000 });

test("an admin turns off 'active by default', then activates a pending registration in the console", { timeout: 120_000 }, async () => {
  const context = await state.browser.newContext({ viewport: { width: 1200, height: 800 } });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  const page = await context.newPage();
  const console_ = `${state.origin}/t/${state.tenant}/console`;
  const email = "pat.pending@example.com";
  const password = "a fine long password";

  try {
    // Signing in: the console root sends a browser without a session to its sign-in page.
    await page.goto(console_);
    assert.equal(page.url(), `${console_}/sign-in`);
    await shot(page, "console-sign-in.png");
    await page.getByLabel("Username or e-mail").fill("admin");
    await page.getByLabel("Password").fill(secrets.adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${console_}/users`);
    const cookie = (await context.cookies()).find((c) => c.name === "printid_console");
    assert.ok(cookie?.httpOnly && cookie.sameSite === "Lax" && cookie.path === `/t/${state.tenant}/console` && !cookie.secure);

    // Settings: "New registered users are active by default" off.
    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(`${console_}/settings`);
    const activeByDefault = page.getByLabel("New registered users are active by default");
    assert.equal(await activeByDefault.isChecked(), true);
    await activeByDefault.uncheck();
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(`${console_}/settings?done=saved`);
    await page.getByText("The settings are saved.").waitFor();
    await shot(page, "console-settings.png");
    assert.equal(await page.getByLabel("New registered users are active by default").isChecked(), false);
    assert.equal(await page.getByLabel("Allow users to register in the system").isChecked(), true);

    // A registration through the API now waits for an admin.
    const registered = await api(`/t/${state.tenant}/register`, { email, password, firstName: "Pat", lastName: "Pending", clientId: CLIENT_ID });
    assert.equal(registered.status, 202, JSON.stringify(registered.body));
    assert.equal(registered.body.status, "pending_activation");
    const early = await api(`/t/${state.tenant}/sign-in`, { login: email, password, clientId: CLIENT_ID });
    assert.equal(early.status, 403);

    // The users page lists it as pending.
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await page.waitForURL(`${console_}/users`);
    const row = page.getByRole("row").filter({ hasText: email });
    await row.getByText("Pending activation").waitFor();
    await shot(page, "console-users.png");

    await page.getByRole("link", { name: "Pending activation" }).click();
    await page.waitForURL(`${console_}/users?status=pending`);
    assert.equal(await page.getByRole("row").filter({ hasText: `admin@${state.tenant}.example` }).count(), 0);
    await page.getByRole("row").filter({ hasText: email }).getByRole("button", { name: /^Activate/ }).click();
    await page.waitForURL(`${console_}/users?status=pending&done=activated`);
    await page.getByText("The user is now active and can sign in.").waitFor();
    assert.equal(await page.getByRole("row").filter({ hasText: email }).count(), 0);

    // The user signs in.
    const signedIn = await api(`/t/${state.tenant}/sign-in`, { login: email, password, clientId: CLIENT_ID });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal(typeof signedIn.body.access_token, "string");

    // The attempts page shows that sign-in; signing out ends the console session.
    await page.getByRole("link", { name: "Sign-in attempts" }).click();
    await page.getByRole("row").filter({ hasText: email }).filter({ hasText: "Success" }).first().waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${console_}/sign-in?done=signed_out`);
    await page.goto(`${console_}/users`);
    assert.equal(page.url(), `${console_}/sign-in`);
  } catch (error) {
    await shot(page, "console-failure.png").catch(() => {});
    if (state.output.length) console.error(`wrangler dev said:\n${state.output.join("")}`);
    throw error;
  } finally {
    await context.close();
  }
});
