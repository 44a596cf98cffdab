// Bulk fill of a local printid D1 database (plain SQLite under wrangler's --persist-to directory), written
// directly with node:sqlite while no wrangler runs on it: the real schema (the migrations applied by
// wrangler), realistic values, big transactions, prepared statements. Secondary indexes are dropped for
// the fill and re-created afterwards with their own SQL from sqlite_master (the same indexes, built by a
// sort instead of row by row), so the file ends up with exactly the schema the migrations made.
//
// The mix (scripts/capacity.mjs passes the sizes; docs/capacity.md states the model):
// - tenants: `tenants` in all, user counts following a power law (rank^-0.8); the largest one is the
//   measured tenant, already created through the operator API, whose seeded users are kept;
// - users: 70 % with a password (the PHC string of one real Argon2id hash, so known passwords work),
//   30 % through a provider (google 15 %, microsoft 10 %, apple 5 %) with an external identity each;
// - sign-in attempts: `attempts` over the last 90 days, in time order (ids follow time, as in service);
//   3 % unknown logins, password ones 88 % successes, provider ones 98 %;
// - sessions: one per successful attempt of the last 60 days (a session lives 30 days and is kept 30 more);
// - authorization codes, OAuth flows, used ID tokens, unknown-login buckets: what the last day leaves
//   before the daily clean-up.
import { randomUUID, randomBytes, randomInt, createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";

const DAY = 24 * 3600_000;
const FIRST = ["jan", "petra", "tomas", "eva", "lukas", "anna", "martin", "lucie", "jakub", "tereza", "anne", "marie", "paul", "sophie",
  "lukas", "mia", "noah", "emma", "liam", "olivia", "james", "ava", "oliver", "isabella", "lucas", "amelia", "max", "lena", "felix", "clara"];
const LAST = ["novak", "svoboda", "dvorak", "cerny", "prochazka", "muller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner",
  "becker", "smith", "johnson", "brown", "taylor", "wilson", "martin", "bernard", "dubois", "rossi", "russo", "garcia", "lopez",
  "kowalski", "nowak", "horvath", "nagy", "jansen"];
const AGENTS = [
  "printid-mobile/3.4.1 (iPhone15,2; iOS 17.5.1) CFNetwork/1496.0.7 Darwin/23.5.0",
  "printid-mobile/3.4.0 (Android 14; SM-S918B) okhttp/4.12.0",
  "printid-mobile/3.3.2 (Android 13; Pixel 7) okhttp/4.11.0",
  "printid-mobile/3.4.1 (iPad13,18; iPadOS 17.4) CFNetwork/1494.0.7 Darwin/23.4.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
];
const PROVIDERS = [["google", 0.15], ["microsoft", 0.10], ["apple", 0.05]];

// A small fast PRNG (mulberry32), seeded: the same arguments fill the same mix.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** User counts per tenant, rank^-0.8, summing to `users`; at least 1 each. */
export function tenantSizes(tenants, users) {
  const weights = Array.from({ length: tenants }, (_, i) => (i + 1) ** -0.8);
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / total) * users)));
  sizes[0] += users - sizes.reduce((a, b) => a + b, 0);
  return sizes;
}

/** Every column the fill writes must exist, and every required column without a default must be written. */
function checkColumns(db, table, written) {
  const cols = db.prepare(`PRAGMA table_info(${table})`).all();
  const names = new Set(cols.map((c) => c.name));
  const unknown = written.filter((c) => !names.has(c));
  const missing = cols.filter((c) => c.notnull && c.dflt_value === null && !c.pk && !written.includes(c.name)).map((c) => c.name);
  if (unknown.length || missing.length)
    throw new Error(`capacity fill: the schema of ${table} changed (unknown to the fill: ${unknown.join(", ") || "none"}; ` +
      `required and not written: ${missing.join(", ") || "none"}); update scripts/capacity/fill.mjs`);
}

function insert(db, table, columns) {
  checkColumns(db, table, columns);
  return db.prepare(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
}

/**
 * Fills `file`. `measured`: { tenantId, slug, keepUsers } (the measured tenant, already in the file);
 * `phc`: a real password hash. Returns counts and timings.
 */
export function fill(file, { tenants, users, attempts, measured, phc, now = Date.now(), seed = 12, log = () => {} }) {
  const random = rng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const db = new DatabaseSync(file);
  const journal = db.prepare("PRAGMA journal_mode").get().journal_mode;
  db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = OFF");
  const started = performance.now();
  const steps = [];
  const step = (name, f) => {
    const t = performance.now();
    db.exec("BEGIN");
    const n = f();
    db.exec("COMMIT");
    steps.push({ name, rows: n, seconds: (performance.now() - t) / 1000 });
    log(`  ${name}: ${n.toLocaleString("en")} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };

  // Secondary indexes off during the fill, back on (same SQL) at the end.
  const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").all();
  for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);

  // --- tenants
  const sizes = tenantSizes(tenants, users);
  const tenantIds = [measured.tenantId];
  const slugs = [measured.slug];
  step("tenants", () => {
    const ins = insert(db, "tenants", ["id", "slug", "display_name", "enabled", "allow_registration", "new_users_active_by_default",
      "lockout_max_attempts", "lockout_seconds", "refresh_reuse_seconds", "providers", "created_at", "updated_at"]);
    for (let i = 1; i < tenants; i++) {
      const id = randomUUID();
      const slug = `${pick(LAST)}-${pick(["print", "office", "group", "labs", "school", "city"])}-${i}`;
      const created = now - Math.floor(random() * 730 * DAY);
      const providers = JSON.stringify(random() < 0.6 ? { work: ["microsoft", "google"], personal: ["apple", "google"] } : { work: [], personal: [] });
      ins.run(id, slug, `${slug.replace(/-\d+$/, "").replace("-", " ")} ${i}`, 1, random() < 0.4 ? 1 : 0, random() < 0.5 ? 1 : 0, 5, 900, 30, providers, created, created);
      tenantIds.push(id);
      slugs.push(slug);
    }
    return tenants - 1;
  });

  // --- users and their external identities
  const userIds = new Array(users);
  const userTenant = new Int32Array(users);
  const userLogin = new Array(users);
  const userMethod = new Array(users); // "password" or a provider
  let identities = 0;
  step("users + external_identities", () => {
    const ins = insert(db, "users", ["id", "tenant_id", "username", "email", "email_verified", "first_name", "last_name", "kind", "active",
      "activated_at", "roles", "created_via", "password_hash", "failed_sign_ins", "locked_until", "password_checks_in_flight",
      "password_checks_since", "created_at", "updated_at"]);
    const insId = insert(db, "external_identities", ["id", "tenant_id", "user_id", "provider", "subject", "email", "created_at"]);
    let u = 0;
    for (let t = 0; t < tenants; t++) {
      const n = t === 0 ? sizes[0] - measured.keepUsers : sizes[t];
      for (let k = 0; k < n; k++, u++) {
        const id = randomUUID();
        const first = pick(FIRST), last = pick(LAST);
        const username = `${first}.${last}${u}`;
        const email = random() < 0.95 ? `${username}@${slugs[t]}.example` : null;
        const created = now - Math.floor(random() * 365 * DAY);
        const r = random();
        let via = "registration", provider = null;
        for (let p = 0, acc = 0; p < PROVIDERS.length; p++) {
          acc += PROVIDERS[p][1];
          if (r < acc) { provider = PROVIDERS[p][0]; break; }
        }
        if (provider) via = provider;
        else via = random() < 0.5 ? "admin" : "registration";
        const active = random() < 0.97 ? 1 : 0;
        const failed = random() < 0.05 ? 1 + Math.floor(random() * 3) : 0;
        ins.run(id, tenantIds[t], username, email, provider && email ? 1 : 0, first, last, random() < 0.8 ? "work" : "personal", active,
          active ? created : null, "[]", via, provider ? null : phc, failed, null, 0, null, created, created + Math.floor(random() * (now - created)));
        if (provider) {
          const subject = provider === "microsoft" ? `${randomUUID()}/${randomUUID()}` : provider === "google" ? `1${String(randomInt(1e12)).padStart(12, "0")}${String(randomInt(1e8)).padStart(8, "0")}` : `001234.${randomBytes(16).toString("hex")}.1234`;
          insId.run(randomUUID(), tenantIds[t], id, provider, subject, email, created);
          identities++;
        }
        userIds[u] = id;
        userTenant[u] = t;
        userLogin[u] = random() < 0.6 || !email ? username : email;
        userMethod[u] = provider ?? "password";
      }
    }
    return u;
  });
  const bulkUsers = userIds.length - measured.keepUsers;
  userIds.length = bulkUsers;

  // --- attempts in time order, and the sessions the successful ones of the last 60 days opened
  let sessions = 0, sinceYesterday = [];
  step("sign_in_attempts + sessions", () => {
    const ins = insert(db, "sign_in_attempts", ["tenant_id", "at", "login", "user_id", "success", "code", "method", "ip", "client_id", "user_agent"]);
    const insS = insert(db, "sessions", ["id", "tenant_id", "user_id", "client_id", "method", "scope", "created_at", "expires_at", "revoked_at",
      "refresh_generation", "refreshed_at"]);
    const from = now - 90 * DAY, span = 90 * DAY;
    for (let i = 0; i < attempts; i++) {
      const at = from + Math.floor((i / attempts) * span + random() * (span / attempts));
      const u = Math.floor(random() * bulkUsers);
      const t = userTenant[u];
      const ip = random() < 0.7 ? `${10 + Math.floor(random() * 200)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`
        : `2a02:${(Math.floor(random() * 65536)).toString(16)}:${(Math.floor(random() * 65536)).toString(16)}:${(Math.floor(random() * 65536)).toString(16)}::${(Math.floor(random() * 65536)).toString(16)}`;
      const agent = pick(AGENTS);
      if (random() < 0.03) {
        ins.run(tenantIds[t], at, `${pick(FIRST)}.${pick(LAST)}@${pick(["gmail.com", "outlook.com", slugs[t] + ".example"])}`, null, 0, "invalid_credentials", "password", ip, "printid-mobile", agent);
        continue;
      }
      const method = userMethod[u];
      const r = random();
      const code = method === "password" ? (r < 0.88 ? null : r < 0.99 ? "invalid_credentials" : "account_locked") : (r < 0.98 ? null : "account_inactive");
      ins.run(tenantIds[t], at, method === "password" ? userLogin[u] : `${method}:${userIds[u].slice(0, 18)}`, userIds[u], code ? 0 : 1, code, method, ip, "printid-mobile", agent);
      if (code === null && at > now - 60 * DAY) {
        const age = now - at;
        const revoked = random() < 0.05 ? at + Math.floor(random() * Math.min(age, 30 * DAY)) : null;
        const generation = Math.floor(random() * Math.min(age, 30 * DAY) / (3 * 3600_000));
        const sessionId = randomUUID();
        insS.run(sessionId, tenantIds[t], userIds[u], "printid-mobile", method, "openid", at, at + 30 * DAY, revoked, generation,
          generation ? at + Math.floor(random() * Math.min(age, 30 * DAY)) : null);
        sessions++;
        if (age < DAY && method !== "password") sinceYesterday.push([t, u, at, method, sessionId]);
      }
    }
    return attempts + sessions;
  });

  // --- what a day of provider sign-ins leaves until the daily clean-up: half through the browser (a flow and
  // a code each), half native (a used ID token each); unknown-login buckets of the day's unknown logins.
  let shortLived = 0;
  step("authorization_codes + oauth_flows + used_id_tokens + unknown_login_failures", () => {
    const code = insert(db, "authorization_codes", ["code_hash", "tenant_id", "client_id", "redirect_uri", "user_id", "method", "code_challenge",
      "scope", "nonce", "created_at", "expires_at", "used_at", "session_id"]);
    const flow = insert(db, "oauth_flows", ["state_hash", "tenant_id", "provider", "account", "client_id", "redirect_uri", "app_state",
      "app_code_challenge", "code_verifier", "nonce", "created_at", "expires_at"]);
    const used = insert(db, "used_id_tokens", ["token_hash", "expires_at"]);
    const b64 = () => createHash("sha256").update(randomBytes(32)).digest("base64url");
    for (const [t, u, at, method, sessionId] of sinceYesterday) {
      if (random() < 0.5) {
        code.run(b64(), tenantIds[t], "printid-mobile", "com.printid.app:/oauth/callback", userIds[u], method, b64(), "openid", randomBytes(16).toString("base64url"),
          at, at + 5 * 60_000, at + 2000, sessionId);
        flow.run(b64(), tenantIds[t], method, "work", "printid-mobile", "com.printid.app:/oauth/callback", randomBytes(16).toString("base64url"), b64(),
          randomBytes(32).toString("base64url"), randomBytes(16).toString("base64url"), at - 20_000, at - 20_000 + 10 * 60_000);
        shortLived += 2;
      } else {
        used.run(b64(), at + 3600_000 + 30_000);
        shortLived++;
      }
    }
    const buckets = insert(db, "unknown_login_failures", ["tenant_id", "bucket", "failures", "locked_until", "updated_at"]);
    const seen = new Set();
    const unknownPerDay = Math.round((attempts * 0.03) / 90);
    for (let i = 0; i < unknownPerDay; i++) {
      const t = userTenant[Math.floor(random() * bulkUsers)], b = Math.floor(random() * 65536);
      if (seen.has(`${t} ${b}`)) continue;
      seen.add(`${t} ${b}`);
      buckets.run(tenantIds[t], b, 1, null, now - Math.floor(random() * DAY));
      shortLived++;
    }
    return shortLived;
  });

  const t = performance.now();
  for (const { sql } of indexes) db.exec(sql);
  steps.push({ name: "indexes re-created", rows: indexes.length, seconds: (performance.now() - t) / 1000 });
  log(`  ${indexes.length} indexes re-created in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  // No ANALYZE: the migrations run none, so the planner sees what it sees in service.
  db.exec(`PRAGMA journal_mode = ${journal}`);
  db.close();
  return { seconds: (performance.now() - started) / 1000, steps, sizes, identities, sessions };
}
