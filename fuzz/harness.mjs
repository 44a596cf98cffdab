// What `npm run fuzz` runs against: its own `wrangler dev --env eu` (own ports, own --persist-to state, own
// dev registry, secrets from a temporary env file), three local OIDC providers (oauth2-mock-server) so the
// provider routes are live, and fixtures made through the real API (operator -> tenant -> users -> tokens).
// Everything here is started in a process group or in this process, and stopped by stopAll().
import { spawn, spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { createWriteStream, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SignJWT, importJWK } from "jose";
import { OAuth2Server } from "oauth2-mock-server";
import { signalGroup, stopGroups } from "../scripts/process-group.mjs";
import { shardBindings } from "../scripts/shards.mjs";
import { newSigningKeys } from "../scripts/signing-keys.mjs";

/** Ports used by others on this machine (npm run dev, local providers, inspectors): never taken here. */
const RESERVED = new Set([8787, 8788, 8791, 8792, 8793, 9229, 9230]);
export const CLIENT_ID = "printid-mobile";
export const REDIRECT_URI = "dev.printid.app:/oauth/callback";
export const PROVIDERS = ["apple", "google", "microsoft"];
const NATIVE = { apple: "com.printid.fuzz.app", google: "google-fuzz-ios", microsoft: "microsoft-fuzz-native" };
const WEB = { apple: "com.printid.fuzz.web", google: "google-fuzz-web", microsoft: "microsoft-fuzz-web" };
export const WORK_TID = "00000000-0000-4000-8000-00000000f022";
export const CONSUMERS_TID = "9188040d-6c67-4c5b-b112-36a304b66dad";

function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer().once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** `count` free loopback ports from `base` up, skipping the reserved ones and any in use. */
export async function pickPorts(base, count) {
  const ports = [];
  for (let port = base; ports.length < count && port < base + 200; port++) {
    if (!RESERVED.has(port) && (await portFree(port))) ports.push(port);
  }
  if (ports.length < count) throw new Error(`no ${count} free ports from ${base}`);
  return ports;
}

export class Harness {
  constructor({ root, work, basePort, log }) {
    this.root = root;
    this.work = work;
    this.basePort = basePort;
    this.log = log;
    this.bin = join(root, "node_modules", ".bin");
    this.providers = {}; // name -> { server, issuer, port }
    this.operatorToken = randomBytes(24).toString("base64url");
    // The region's keys (one EC, one RSA); the EC key, which signs access tokens, also forges them.
    this.signingKeys = newSigningKeys(`fuzz-${randomBytes(4).toString("hex")}`);
    this.signingJwk = { ...this.signingKeys.find((key) => key.kty === "EC"), alg: "ES256" };
    this.childEnv = {
      ...process.env,
      PATH: `${this.bin}:${process.env.PATH}`,
      CI: "true",
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "false",
      WRANGLER_REGISTRY_PATH: join(work, "registry"),
      WRANGLER_SEND_METRICS: "false",
    };
  }

  async start() {
    const [port, inspectorPort, ...providerPorts] = await pickPorts(this.basePort, 2 + PROVIDERS.length);
    this.origin = `http://127.0.0.1:${port}`;
    this.port = port;
    this.inspectorPort = inspectorPort;
    for (const [i, name] of PROVIDERS.entries()) await this.startProvider(name, providerPorts[i]);
    // A build, served with --no-bundle: `wrangler dev` of src/index.ts would rebuild and restart the Worker
    // whenever someone saves a file under src/ (others work in this tree), answering 503 mid-run.
    const outdir = join(this.work, "build");
    const build = spawnSync(join(this.bin, "wrangler"), ["deploy", "--dry-run", "--env", "eu", "--outdir", outdir], {
      cwd: this.root, env: this.childEnv, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 180_000,
    });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
    const script = readdirSync(outdir).find((name) => /\.m?js$/.test(name));
    const persistTo = join(this.work, "state");
    // Every shard of eu (DB, DB_2, … from wrangler.toml): a new tenant goes to whichever is smallest.
    for (const shard of shardBindings("eu")) {
      const migrate = spawnSync(join(this.bin, "wrangler"), ["d1", "migrations", "apply", shard, "--local", "--env", "eu", "--persist-to", persistTo], {
        cwd: this.root, env: this.childEnv, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 120_000,
      });
      if (migrate.status !== 0) throw new Error(`migrations of ${shard} failed:\n${migrate.stdout}${migrate.stderr}`);
    }
    // Secrets as --var (with CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false wrangler reads no env file, so
    // nothing of the developer's .dev.vars leaks in); an empty --env-file makes that explicit.
    const envFile = join(this.work, "empty.env");
    writeFileSync(envFile, "");
    const args = ["dev", join(outdir, script), "-c", "wrangler.toml", "--no-bundle", "--env", "eu", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort),
      "--persist-to", persistTo, "--env-file", envFile, "--log-level", "warn", "--show-interactive-dev-session=false",
      ...Object.entries(this.vars()).flatMap(([key, value]) => ["--var", `${key}:${value}`])];
    this.logPath = join(this.work, "wrangler.log");
    const logStream = createWriteStream(this.logPath);
    this.worker = spawn(join(this.bin, "wrangler"), args, { cwd: this.root, env: this.childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.worker.stdout.pipe(logStream);
    this.worker.stderr.pipe(logStream);
    process.on("exit", () => this.worker && signalGroup(this.worker, "SIGKILL"));
    await this.waitForHealth();
  }

  /** Worker vars and secrets; the providers point at the local servers. */
  vars() {
    const apple = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" });
    const vars = {
      ORIGIN: this.origin,
      OPERATOR_TOKEN: this.operatorToken,
      SIGNING_KEYS: JSON.stringify(this.signingKeys),
      CREDENTIAL_LOOKUP_KEY: randomBytes(32).toString("base64url"),
      CLIENTS: JSON.stringify([{ id: CLIENT_ID, redirectUris: [REDIRECT_URI] }]),
      APPLE_TEAM_ID: "FUZZTEAM01",
      APPLE_KEY_ID: "FUZZKEY001",
      APPLE_PRIVATE_KEY: apple,
      GOOGLE_CLIENT_SECRET: "fuzz-google-secret",
      MICROSOFT_CLIENT_SECRET: "fuzz-microsoft-secret",
    };
    for (const name of PROVIDERS) {
      const prefix = name.toUpperCase();
      const { issuer } = this.providers[name];
      Object.assign(vars, {
        [`${prefix}_CLIENT_ID`]: WEB[name],
        [`${prefix}_NATIVE_CLIENT_IDS`]: NATIVE[name],
        [`${prefix}_ISSUER`]: issuer,
        [`${prefix}_AUTHORIZATION_ENDPOINT`]: `${issuer}/authorize`,
        [`${prefix}_TOKEN_ENDPOINT`]: `${issuer}/token`,
        [`${prefix}_JWKS_URI`]: `${issuer}/jwks`,
      });
    }
    return vars;
  }

  async startProvider(name, port) {
    const server = new OAuth2Server();
    await server.issuer.keys.generate("RS256");
    const issuer = `http://127.0.0.1:${port}`;
    // Who the provider signs in at its /authorize: whatever the next redirect flow asked for (login_hint).
    const people = new Map();
    server.service.on("beforeAuthorizeRedirect", ({ url }, req) => {
      const code = url.searchParams.get("code");
      if (code) people.set(code, String(req.query.login_hint ?? "fuzz.person"));
    });
    server.service.on("beforeTokenSigning", (token, req) => {
      const hint = people.get(req.body.code);
      if (hint !== undefined) Object.assign(token.payload, this.person(name, hint));
    });
    await server.start(port, "127.0.0.1");
    server.issuer.url = issuer;
    this.providers[name] = { server, issuer, port };
  }

  /** Plausible claims of a made-up person at this provider. */
  person(name, hint = "fuzz.person") {
    const email = hint.includes("@") ? hint : `${hint}@${name}.example`;
    const digest = createHash("sha256").update(`${name}:${email}`).digest("hex");
    const oid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-8${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
    if (name === "apple") return { sub: `000${digest.slice(0, 3)}.${digest.slice(3, 35)}.0001`, email, email_verified: "true" };
    if (name === "google") return { sub: BigInt(`0x${digest.slice(0, 15)}`).toString(), email, email_verified: true, given_name: "Fuzz", family_name: "Person" };
    return { sub: digest.slice(0, 43), tid: WORK_TID, oid, email, preferred_username: email, given_name: "Fuzz", family_name: "Person" };
  }

  /** A provider-signed ID token for the native flow; `mutate(payload, header)` edits the claims first. */
  providerIdToken(name, { hint, mutate, native = true, expiresIn = 600 } = {}) {
    const { server } = this.providers[name];
    return server.issuer.buildToken({
      expiresIn,
      scopesOrTransform: (header, payload) => {
        Object.assign(payload, { aud: native ? NATIVE[name] : WEB[name] }, this.person(name, hint));
        mutate?.(payload, header);
      },
    });
  }

  async waitForHealth(timeoutMs = 90_000) {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(300)) {
      if (this.worker.exitCode !== null || this.worker.signalCode !== null) break;
      const health = await fetch(`${this.origin}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.json(), () => undefined);
      if (health?.region === "eu") return;
    }
    throw new Error(`wrangler dev did not serve ${this.origin}/health; its log: ${this.logPath}`);
  }

  workerAlive() {
    return this.worker && this.worker.exitCode === null && this.worker.signalCode === null;
  }

  async stopAll() {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await stopGroups([worker]);
    await Promise.all(Object.values(this.providers).map(({ server }) => server.stop().catch(() => {})));
  }

  // ---- fixtures through the real API ------------------------------------------------------------------

  /** One JSON request for setup; throws on an unexpected status. */
  async api(method, path, { body, token, expect = [200, 201, 202, 204], form, ip = randomIp() } = {}) {
    const headers = { "cf-connecting-ip": ip };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload;
    if (form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      payload = new URLSearchParams(form).toString();
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(this.origin + path, { method, headers, body: payload, redirect: "manual", signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    if (!expect.includes(response.status)) throw new Error(`setup ${method} ${path}: ${response.status} ${text.slice(0, 400)}`);
    return { status: response.status, json, headers: response.headers };
  }

  /**
   * A fresh tenant (registration open, users active at once, every provider for both kinds of account) with
   * an admin, a normal user and a victim user (the target of admin writes), and tokens of admin and user.
   */
  async tenantFixture({ extraRefresh = 0, codes = 0 } = {}) {
    const slug = `fz${randomBytes(5).toString("hex")}`;
    const password = `Fz-${randomBytes(12).toString("base64url")}`;
    const created = await this.api("POST", "/operator/tenants", {
      token: this.operatorToken,
      body: {
        name: slug, displayName: `Fuzz ${slug}`,
        settings: { allowRegistration: true, newUsersActiveByDefault: true, lockout: { maxAttempts: 100, lockoutSeconds: 60 } },
        admin: { username: "admin", email: `admin@${slug}.example`, password, firstName: "Ada", lastName: "Admin" },
      },
    });
    const fixture = { slug, tenantId: created.json.id, password, adminId: created.json.admin.id, refresh: [], codes: [] };
    const signIn = (login) => this.api("POST", `/t/${slug}/sign-in`, { body: { login, password, clientId: CLIENT_ID } }).then((r) => r.json);
    const admin = await signIn("admin");
    fixture.adminAccess = admin.access_token;
    fixture.adminRefresh = admin.refresh_token;
    for (const username of ["user", "victim"]) {
      const made = await this.api("POST", `/t/${slug}/admin/users`, {
        token: fixture.adminAccess,
        body: { username, email: `${username}@${slug}.example`, firstName: "Uma", lastName: "User", password, active: true },
      });
      fixture[`${username}Id`] = made.json.id;
    }
    const user = await signIn("user");
    fixture.userAccess = user.access_token;
    fixture.userRefresh = user.refresh_token;
    fixture.userIdToken = user.id_token;
    // A session ended by /revoke: its access token must be refused at once (rule P).
    const revoked = await signIn("user");
    await this.api("POST", `/t/${slug}/revoke`, { form: { token: revoked.refresh_token, client_id: CLIENT_ID } });
    fixture.revokedAccess = revoked.access_token;
    fixture.revokedRefresh = revoked.refresh_token;
    for (let i = 0; i < extraRefresh; i++) fixture.refresh.push((await signIn("user")).refresh_token);
    for (let i = 0; i < codes; i++) fixture.codes.push(await this.authorizationCode(slug, PROVIDERS[i % PROVIDERS.length]));
    return fixture;
  }

  /**
   * The browser redirect flow, driven by hand: /authorize -> provider -> callback -> the app's redirect URI
   * with a code. Returns { code, verifier, provider, callbackUrl } (or the error the flow ended with).
   */
  async authorizationCode(slug, provider, { account = "work", hint = `fz.${randomBytes(3).toString("hex")}` } = {}) {
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const query = new URLSearchParams({ account, client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, state: "st", code_challenge: challenge, code_challenge_method: "S256" });
    const start = await fetch(`${this.origin}/t/${slug}/oauth/${provider}/authorize?${query}`, { redirect: "manual", headers: { "cf-connecting-ip": randomIp() } });
    if (start.status !== 302) throw new Error(`authorize ${provider}: ${start.status} ${await start.text()}`);
    const toProvider = new URL(start.headers.get("location"));
    toProvider.searchParams.set("login_hint", hint);
    const atProvider = await fetch(toProvider, { redirect: "manual" });
    const back = atProvider.headers.get("location");
    if (!back) throw new Error(`provider ${provider} authorize: ${atProvider.status}`);
    let final;
    if (provider === "apple") {
      // Sign in with Apple returns by form_post.
      const url = new URL(back);
      final = await fetch(`${url.origin}${url.pathname}`, {
        method: "POST", redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": randomIp() },
        body: url.searchParams.toString(),
      });
    } else {
      final = await fetch(back, { redirect: "manual", headers: { "cf-connecting-ip": randomIp() } });
    }
    const location = final.headers.get("location") ?? "";
    const result = new URL(location, "x:/").searchParams;
    if (!result.get("code")) throw new Error(`callback ${provider}: ${final.status} ${location} ${await final.text()}`);
    return { code: result.get("code"), verifier, provider, callback: back };
  }

  /** A flow started but not finished: the state and code a callback would carry. */
  async pendingCallback(slug, provider) {
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const query = new URLSearchParams({ account: "work", client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, state: "st", code_challenge: challenge, code_challenge_method: "S256" });
    const start = await fetch(`${this.origin}/t/${slug}/oauth/${provider}/authorize?${query}`, { redirect: "manual", headers: { "cf-connecting-ip": randomIp() } });
    if (start.status !== 302) throw new Error(`authorize ${provider}: ${start.status}`);
    const toProvider = new URL(start.headers.get("location"));
    toProvider.searchParams.set("login_hint", `fz.${randomBytes(3).toString("hex")}`);
    const atProvider = await fetch(toProvider, { redirect: "manual" });
    const back = new URL(atProvider.headers.get("location"));
    return { state: back.searchParams.get("state"), code: back.searchParams.get("code"), provider };
  }

  // ---- access tokens signed with the region's own key, with edge claims ----------------------------------

  async forge(fixture, { claims = {}, header = {}, drop = [], expiresIn = 600, key } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: `${this.origin}/t/${fixture.slug}`, sub: fixture.userId, aud: CLIENT_ID, iat: now, exp: now + expiresIn,
      jti: randomUUID(), sid: randomUUID(), tid: fixture.tenantId, region: "eu", roles: ["user"], scope: "openid", client_id: CLIENT_ID,
      ...claims,
    };
    for (const name of drop) delete payload[name];
    const signingKey = key ?? (this.privateKey ??= await importJWK(this.signingJwk, "ES256"));
    return new SignJWT(payload).setProtectedHeader({ alg: "ES256", kid: this.signingJwk.kid, typ: "at+jwt", ...header }).sign(signingKey);
  }
}

/** A random client address, IPv4 or IPv6, so per-IP rate limits do not answer every request. */
export function randomIp() {
  const bytes = randomBytes(16);
  if (bytes[0] % 4 === 0) return Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(":");
  return `${10 + (bytes[1] % 200)}.${bytes[2]}.${bytes[3]}.${1 + (bytes[4] % 254)}`;
}
