// What the browser tests (test/e2e/*.e2e.mjs) share: a region's Worker under `wrangler dev` of their own
// (a temporary directory, fresh local D1 with every shard migrated, free ports, nothing of the developer's
// .dev.vars or .env), Debian's headless Chromium through playwright-core, screenshots into test-results/,
// JSON calls to the Worker, each bounded in time, and the messages the Worker sent (`sentMail`). Whatever a
// test starts here is stopped by its process group, and only that: at `stop()`, and on any exit of this process.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { decodeJwt } from "jose";
import { chromium } from "playwright-core";
import { signalGroup, stopGroups } from "../../scripts/process-group.mjs";
import { shardBindings } from "../../scripts/shards.mjs";
import { newSigningKeys } from "../../scripts/signing-keys.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(root, "node_modules", ".bin");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The longest one step (a request, a navigation, a click) may take. */
export const STEP_MS = 15_000;
/** Screenshots, for a person to look at (git-ignored). */
export const RESULTS = join(root, "test-results");

/** Process groups this process started and has not stopped yet. */
const groups = new Set();
// However this process ends, the groups it started go with it (and only those).
process.on("exit", () => groups.forEach((child) => signalGroup(child, "SIGKILL")));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

/** A port nothing listens on right now (the OS picks it). */
export function freePort() {
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

/** A random secret, base64url. */
export const secret = (bytes = 24) => randomBytes(bytes).toString("base64url");

/**
 * wrangler's launcher runs `#!/usr/bin/env node`: the pinned Node 24 first on the PATH. Nothing of the
 * developer's machine: a dev registry of our own, and secrets only from the env file `startWorker` writes
 * (wrangler reads neither .dev.vars nor the project's .env when given --env-file, and reads that file only
 * where loading .env files is on). No telemetry, no download of miniflare's `Request.cf` sample.
 */
function childEnv(dir) {
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    CI: "true",
    CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
    CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_REGISTRY_PATH: join(dir, "registry"),
    WRANGLER_SEND_METRICS: "false",
  };
}

/** Every shard of the region (DB, DB_2, …): a new tenant may land on any. */
function migrate(region, dir, persistTo) {
  for (const shard of shardBindings(region)) {
    const args = ["d1", "migrations", "apply", shard, "--local", "--env", region, "--persist-to", persistTo];
    const result = spawnSync(join(bin, "wrangler"), args, {
      cwd: root, env: childEnv(dir), stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
}

/** A dotenv line: double-quoted, line breaks as \n (wrangler's parser turns them back), as .dev.vars has them. */
const envLine = (key, value) => `${key}=${/[\n"'#\s]/.test(value) ? JSON.stringify(value) : value}`;

const exited = (child) => child.exitCode !== null || child.signalCode !== null;

async function waitForHealth(worker, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited(worker.child)) {
    try {
      const response = await fetch(`${worker.origin}/health`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await sleep(300);
  }
  const why = exited(worker.child) ? "exited during start-up" : `did not serve /health within ${timeoutMs / 1000} s`;
  throw new Error(`wrangler dev (${worker.origin}) ${why}:\n${worker.output()}`);
}

/**
 * One region's Worker under `wrangler dev`, in a temporary directory of its own: its local D1 (every shard
 * migrated), a free port, ORIGIN, OPERATOR_TOKEN and fresh SIGNING_KEYS (one EC, one RSA key), plus `vars`
 * (--var) and `secrets` (a generated env file, as .dev.vars holds them locally). Resolves once /health
 * answers; `stop()` ends its process group (wrangler and workerd) and removes the directory. `logLevel`
 * "info" makes wrangler print each request and each message the `send_email` binding took (`sentMail`).
 * `host` names the origin: `localhost` where the browser must see a domain (WebAuthn refuses an IP address
 * as relying party); the Worker listens on 127.0.0.1 either way.
 */
export async function startWorker({ region = "eu", vars = {}, secrets = {}, timeoutMs = 60_000, logLevel = "warn", host = "127.0.0.1" } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "printid-e2e-"));
  const persistTo = join(dir, "state");
  const envFile = join(dir, "worker.env");
  writeFileSync(envFile, Object.entries(secrets).map(([key, value]) => `${envLine(key, value)}\n`).join(""));
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const origin = `http://${host}:${port}`;
  const operatorToken = secret();
  const lines = [];
  const worker = {
    origin,
    operatorToken,
    child: undefined,
    /** Everything wrangler and the Worker printed so far. */
    output: () => lines.join(""),
    async stop() {
      const child = worker.child;
      worker.child = undefined;
      if (child) {
        await stopGroups([child]);
        groups.delete(child);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    migrate(region, dir, persistTo);
    const allVars = {
      ORIGIN: origin,
      OPERATOR_TOKEN: operatorToken,
      SIGNING_KEYS: JSON.stringify(newSigningKeys(`e2e-${randomBytes(4).toString("hex")}`)),
      CREDENTIAL_LOOKUP_KEY: randomBytes(32).toString("base64url"),
      ...vars,
    };
    const args = [
      "dev", "--env", region, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort),
      "--persist-to", persistTo, "--env-file", envFile,
      ...Object.entries(allVars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
      "--log-level", logLevel, "--show-interactive-dev-session=false",
    ];
    // Its own process group: wrangler runs workerd as a grandchild, and only the whole group stops it.
    worker.child = spawn(join(bin, "wrangler"), args, { cwd: root, env: childEnv(dir), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    groups.add(worker.child);
    for (const stream of [worker.child.stdout, worker.child.stderr]) stream.on("data", (chunk) => lines.push(String(chunk)));
    await waitForHealth(worker, timeoutMs);
    return worker;
  } catch (error) {
    await worker.stop();
    throw error;
  }
}

/** A JSON request to `origin`, bounded in time: its status and parsed body. */
export async function api(origin, path, { method = "POST", body, headers = {} } = {}) {
  const response = await fetch(origin + path, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_MS),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/** A tenant through the operator API, with its first admin; throws unless 201. */
export async function createTenant(worker, body) {
  const created = await api(worker.origin, "/operator/tenants", { body, headers: { authorization: `Bearer ${worker.operatorToken}` } });
  if (created.status !== 201) throw new Error(`POST /operator/tenants ${body.name}: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

/**
 * A tenant through the operator API, its admin signed in through the app's client `appClientId`, and one
 * person the admin creates (`person`: username, password, names; the address is made from the tenant's
 * slug): the slug, the admin's bearer header, and the person's id and username.
 */
export async function tenantWithPerson(worker, { prefix, displayName, appClientId, person }) {
  const slug = `${prefix}-${randomBytes(3).toString("hex")}`;
  const adminPassword = `admin-${secret(9)}`;
  await createTenant(worker, {
    name: slug,
    displayName,
    admin: { username: "admin", email: `admin@${slug}.example`, password: adminPassword, firstName: "Ada", lastName: "Admin" },
  });
  const signedIn = await api(worker.origin, `/t/${slug}/sign-in`, { body: { login: "admin", password: adminPassword, clientId: appClientId } });
  assert.equal(signedIn.status, 200, `admin sign-in to ${slug}: ${JSON.stringify(signedIn.body)}`);
  const admin = { authorization: `Bearer ${signedIn.body.access_token}` };
  const created = await api(worker.origin, `/t/${slug}/admin/users`, { body: { ...person, email: `${person.username}@${slug}.example` }, headers: admin });
  assert.equal(created.status, 201, `POST /admin/users: ${JSON.stringify(created.body)}`);
  return { slug, admin, person: { id: created.body.id, username: person.username } };
}

/** A web application's redirect URI for a browser test: a tiny page at 127.0.0.1 that says where it is; `stop()` closes it. */
export async function startRelyingParty() {
  const server = createHttpServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>RP</title><p>RP ${new URL(req.url, "http://127.0.0.1").pathname}</p>`);
  });
  await new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return { origin: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((resolve) => server.close(resolve)) };
}

/** The file's `after`: its browser closed, its Worker and its relying party (`state.rp`, where it has one) stopped. */
export function stopAfterAll(state) {
  after(async () => {
    await state.browser?.close().catch(() => {});
    await state.worker?.stop();
    await state.rp?.stop();
  }, { timeout: 30_000 });
}

/** Debian's headless Chromium (never a downloaded one). */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
}

/** A fresh browser context (no cookies) whose every step is bounded by STEP_MS. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  return context;
}

/** A full-page screenshot into test-results/. */
export async function shot(page, name) {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: join(RESULTS, name), fullPage: true });
}

// ANSI colour codes, which wrangler puts in its log lines.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * The messages a Worker started with `logLevel: "info"` sent through its `send_email` binding, oldest first:
 * { from, to, subject, text, html }. wrangler dev's simulation (miniflare) writes each message's text and
 * HTML to files of its own (under the project's .wrangler/tmp/email/<instance>/, removed when it stops) and
 * logs, at info level, "send_email binding called with MessageBuilder:" with From, To, Subject and those
 * files' paths: the log says which message is whose, the files what it says.
 */
export function sentMail(worker) {
  const log = worker.output().replace(ANSI, "");
  const messages = [];
  const block = /send_email binding called with MessageBuilder:\r?\nFrom: (.*)\r?\nTo: (.*)\r?\nSubject: (.*)\r?\n(?:\r?\nText: (.*)\r?\n)?(?:HTML: (.*)\r?\n)?/g;
  for (const [, from, to, subject, textPath, htmlPath] of log.matchAll(block)) {
    const read = (path) => (path ? readFileSync(path.trim(), "utf8") : undefined);
    messages.push({ from, to: to.trim(), subject: subject.trim(), text: read(textPath), html: read(htmlPath) });
  }
  return messages;
}

/**
 * The next message to `to` beyond the `seen` first ones sent to that address (a message may leave after the
 * answer, in waitUntil): polls the log for up to STEP_MS; throws, with what was sent, if none came.
 */
export async function waitForMail(worker, to, { seen = 0, timeoutMs = STEP_MS } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const theirs = sentMail(worker).filter((message) => message.to === to);
    if (theirs.length > seen && theirs[seen].text !== undefined) return theirs[seen];
    if (Date.now() > deadline) {
      const all = sentMail(worker).map((message) => `${message.to}: ${message.subject}`);
      throw new Error(`no message ${seen + 1} to ${to} within ${timeoutMs / 1000} s; sent: ${JSON.stringify(all)}`);
    }
    await sleep(200);
  }
}

/** The one link of a message's text that starts with `prefix` (an absolute URL). */
export function linkIn(message, prefix) {
  const links = (message.text.match(/https?:\/\/\S+/g) ?? []).filter((link) => link.startsWith(prefix));
  if (links.length !== 1) throw new Error(`expected one link to ${prefix} in "${message.subject}", found ${links.length}:\n${message.text}`);
  return links[0];
}

/**
 * A web application's authorization request (a public client, PKCE S256) to the tenant's `issuer`: the URL
 * that brings the browser to the hosted sign-in, and the verifier that redeems its code.
 */
export function authorizationRequest({ issuer, clientId, redirectUri, scope = "openid profile" }) {
  const verifier = secret(32);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state: secret(12),
    nonce: secret(12),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  return { url: `${issuer}/authorize?${query}`, issuer, clientId, redirectUri, verifier };
}

/**
 * Types MyQ credentials on the hosted sign-in page and submits them: the answer of that POST. The button is
 * "Sign in" exactly: where the passkey script runs, "Sign in with a passkey" is beside it.
 */
export async function submitPassword(page, login, password) {
  await page.getByLabel("Username or e-mail").fill(login);
  await page.getByLabel("Password").fill(password);
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.url().endsWith("/authorize/password") && response.request().method() === "POST"),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
  return answer;
}

/** The password on the hosted page `request` opens: the form's answer (a 303 to the client, or the second step's page). */
export async function typePassword(page, request, { username, password }) {
  await page.goto(request.url);
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  return submitPassword(page, username, password);
}

/** Once the browser is at `request`'s redirect URI: its code redeemed at /token with the verifier; the ID token's claims. */
export async function redeemAtCallback(page, request) {
  await page.waitForURL((url) => url.href.startsWith(request.redirectUri));
  const code = new URL(page.url()).searchParams.get("code");
  assert.ok(code, `a code at the callback: ${page.url()}`);
  const response = await fetch(`${request.issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: request.clientId, code, redirect_uri: request.redirectUri, code_verifier: request.verifier }),
    signal: AbortSignal.timeout(STEP_MS),
  });
  const tokens = await response.json();
  assert.equal(response.status, 200, `/token: ${JSON.stringify(tokens)}`);
  return decodeJwt(tokens.id_token);
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * The photographer of a browser file: a page photographed at 1280 and at 390 px wide
 * (test-results/{prefix}-{name}-{width}.png); at 390 px nothing may stick out sideways. The layout is
 * re-flowed, not reloaded: a page answering a POST is photographed as it is.
 */
export function photographerOf(prefix) {
  return async (page, name) => {
    await page.setViewportSize(DESKTOP);
    await shot(page, `${prefix}-${name}-${DESKTOP.width}.png`);
    await page.setViewportSize(PHONE);
    try {
      await shot(page, `${prefix}-${name}-${PHONE.width}.png`);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scrollWidth <= PHONE.width, `${name}: ${scrollWidth} px wide at ${PHONE.width} px (scrolls sideways)`);
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  };
}

/**
 * The `test` of a browser file: each in a fresh context of `state.browser` (no cookies); on failure, a
 * screenshot (test-results/{prefix}-failure-….png) and the last of what `state.worker` said.
 */
export function browserTestOf(state, prefix, defaultTimeout) {
  return (name, body, timeout = defaultTimeout) =>
    test(name, { timeout }, async () => {
      const context = await newContext(state.browser, { viewport: DESKTOP });
      const page = await context.newPage();
      try {
        await body({ context, page });
      } catch (error) {
        const file = `${prefix}-failure-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`;
        await shot(page, file).catch(() => {});
        console.error(`[${name}] failed at ${page.url()} (screenshot test-results/${file})`);
        const said = state.worker.output();
        if (said) console.error(`wrangler dev said (last 4000 characters):\n${said.slice(-4000)}`);
        throw error;
      } finally {
        await context.close();
      }
    });
}
