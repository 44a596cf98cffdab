// What `npm run fuzz` sends: for one operation of /openapi.json, a valid request (from the schema and what the
// fixture knows: tenant, users, tokens, flows), then one or more mutations of it. A request stays structured
// ({ method, params, query, auth, body, ctype, headers }) until serialize() turns it into bytes.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import { CLIENT_ID, CONSUMERS_TID, PROVIDERS, REDIRECT_URI, randomIp } from "./harness.mjs";
import { resolveRef } from "./contract.mjs";

// ---- seeded randomness ---------------------------------------------------------------------------------
export function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    /** A key of `weights` ({ name: weight }), by weight. */
    weighted: (weights) => {
      const entries = Object.entries(weights).filter(([, w]) => w > 0);
      let r = next() * entries.reduce((s, [, w]) => s + w, 0);
      for (const [key, w] of entries) if ((r -= w) < 0) return key;
      return entries.at(-1)[0];
    },
  };
  return rng;
}

const rand = (n = 4) => randomBytes(n).toString("hex");
const clone = (v) => (v === undefined ? undefined : structuredClone(v));

// ---- value pools ---------------------------------------------------------------------------------------
const JUNK = [null, true, false, 0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, "", " ", "null", "true", "0", [], [1], [null], {}, { a: 1 },
  ["x"], { $ne: null }, { $gt: "" }, "\u0000", [[[[[]]]]], { toString: "x" }, 12345678901234567890n.toString(), -1e-300];

function edgeStrings(f) {
  return ["", " ", "  padded  ", "\t", "\n", "\u0000", "a\u0000b", "x\r\nX-Injected: 1", "é", "É", "Ⅻ", "ﬁ", "ß", "İ", "ı",
    "аdmin", "ａｄｍｉｎ", "admin\u200b", "\u202Eevil", "👍", "🏳️‍🌈", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\ud800", "\udfff", "'", "\"", "\\", "' OR '1'='1", "%", "_",
    "%%", "\\%", "*", "?", "../../etc/passwd", "<script>alert(1)</script>", "${7*7}", "{{7*7}}", "null", "undefined", "NaN", "-1",
    "1e309", "0x10", "[]", "{}", "a".repeat(49), "a".repeat(50), "a".repeat(51), "a".repeat(64), "a".repeat(65), "a".repeat(100),
    "a".repeat(101), "a".repeat(254), "a".repeat(255), "a".repeat(256), "a".repeat(257), "a".repeat(321), "a".repeat(1000),
    "a@b", "@", "a@", "@b", "a@b.c", "A@B.C", "x@localhost", "x@[127.0.0.1]", "\"x y\"@example.com", "x+tag@example.com",
    "x@例え.jp", "x@xn--r8jz45g.jp", "x@@example.com", "x@example.com ", " x@example.com", "x@example..com",
    `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.com`,
    "admin", "ADMIN", "user", " user ", "USER", `user@${f.slug}.example`, `USER@${f.slug.toUpperCase()}.EXAMPLE`,
    `admin@${f.slug}.example`, "victim", "-", "a-", "-a", "a..b", "a.b", "a_b", "__proto__", "constructor", "toString", "hasOwnProperty",
    "printid-mobile", "PRINTID-MOBILE", "openid", "openid openid", "openid profile email offline_access", "admin:write"];
}
const HUGE = [300, 1000, 5000, 20_000, 65_000, 66_000, 70_000, 300_000];
const deep = (n, open = "[", close = "]") => open.repeat(n) + close.repeat(n);
function nested(depth) {
  let v = "x";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Passwords this run made up: only these (and the fixture's) count as secrets an answer or log must not show. */
const GENERATED = new Set();

function strongPassword(rng) {
  return remember(rng.pick([`Pw-${rand(8)}-x9`, `${rand(4)}´Ünïcødé-Pässwörd-${rand(2)}`, `${rand(2)}${"p".repeat(250)}`, `aA1!${rand(2)}`, `🔑🔑🔑🔑-${rand(4)}`, `correct horse battery ${rand(3)}`]));
}
function remember(password) {
  if (GENERATED.size < 100_000) GENERATED.add(password);
  return password;
}

// ---- the valid request of each operation ---------------------------------------------------------------
/**
 * A request the operation should accept, or refuse only for a reason of state (taken name, locked account).
 * Keyed "METHOD /path"; an operation not listed here (new since this was written) is sampled from its schema.
 */
const VALID = {
  "GET /health": () => ({}),
  "GET /t/{tenant}": () => ({}),
  "GET /t/{tenant}/.well-known/openid-configuration": () => ({}),
  "GET /t/{tenant}/.well-known/jwks.json": () => ({}),
  "POST /t/{tenant}/sign-in": ({ f, rng }) => ({
    body: {
      login: rng.pick(["user", "USER", " user ", `user@${f.slug}.example`, `USER@${f.slug}.EXAMPLE`, "admin", "victim", `nobody${rand(2)}`]),
      password: rng.chance(0.7) ? f.password : rng.pick(["wrong-password", f.password.toUpperCase(), `${f.password} `, ""]),
      clientId: CLIENT_ID,
      ...(rng.chance(0.5) ? { scope: rng.pick(["openid", "", "profile", "openid email profile", "offline_access", "x"]) } : {}),
      ...(rng.chance(0.3) ? { nonce: rng.pick(["n", rand(8), "n".repeat(200)]) } : {}),
    },
  }),
  "GET /t/{tenant}/oauth/{provider}/authorize": ({ rng }) => ({
    params: { provider: rng.pick(PROVIDERS) },
    query: {
      account: rng.pick(["work", "personal"]), client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, state: rand(8),
      code_challenge: createHash("sha256").update(rand(8)).digest("base64url"), code_challenge_method: "S256",
    },
  }),
  "GET /oauth/{provider}/callback": ({ pools, rng }) => {
    const flow = pools.callbacks.length && rng.chance(0.8) ? pools.callbacks.pop() : { provider: rng.pick(PROVIDERS), state: rand(16), code: randomUUID() };
    const query = { state: flow.state, code: flow.code };
    if (rng.chance(0.15)) Object.assign(query, { error: rng.pick(["access_denied", "server_error", "x"]), code: undefined });
    if (rng.chance(0.15)) query.user = appleUser(rng);
    return { params: { provider: flow.provider }, query: dropUndefined(query) };
  },
  "POST /oauth/{provider}/callback": ({ pools, rng }) => {
    const flow = pools.callbacks.length && rng.chance(0.8) ? pools.callbacks.pop() : { provider: rng.pick(PROVIDERS), state: rand(16), code: randomUUID() };
    const form = { state: flow.state, code: flow.code };
    if (rng.chance(0.4)) form.user = appleUser(rng);
    if (rng.chance(0.1)) Object.assign(form, { error: "user_cancelled_authorize", code: undefined });
    return { params: { provider: flow.provider }, body: { form: dropUndefined(form) } };
  },
  "POST /t/{tenant}/oauth/{provider}/id-token": ({ pools, rng }) => {
    const token = rng.pick(pools.idTokens);
    const body = { idToken: token.jwt, account: token.account, clientId: CLIENT_ID };
    if (token.nonce !== undefined) body.nonce = token.nonce;
    if (rng.chance(0.3)) Object.assign(body, { firstName: rng.pick(["Ann", "Ünïcødé", "a".repeat(100)]), lastName: rng.pick(["Lee", "李", "b".repeat(100)]) });
    return { params: { provider: token.provider }, body: { json: body }, expect: token.expect, why: token.why, idToken: token };
  },
  "POST /t/{tenant}/register": ({ f, rng }) => ({
    body: {
      email: rng.chance(0.1) ? rng.pick([`user@${f.slug}.example`, `ADMIN@${f.slug}.example`]) : rng.pick([`r${rand()}@example.com`, `R${rand()}+tag@Example.COM`, `r.${rand()}@sub.example.co.uk`, `${rand()}@xn--r8jz45g.jp`]),
      password: strongPassword(rng),
      clientId: CLIENT_ID,
      ...(rng.chance(0.5) ? { firstName: rng.pick(["Reg", "Zoë", "O'Brien", "李", "a".repeat(100)]), lastName: rng.pick(["Ist", "Ñúñez", "b".repeat(100)]) } : {}),
      ...(rng.chance(0.4) ? { username: rng.chance(0.1) ? rng.pick(["user", "ADMIN", "victim"]) : rng.pick([`u${rand()}`, `U.${rand()}-_x`, `${rand(2)}${"z".repeat(58)}`]) } : {}),
      ...(rng.chance(0.3) ? { scope: rng.pick(["openid", "", "profile"]) } : {}),
    },
  }),
  "POST /t/{tenant}/token": ({ f, pools, rng }) => {
    const kind = rng.weighted({ refresh: 5, code: 3, spent: 2, other: 1 });
    if (kind === "code" && pools.codes.length) {
      const c = pools.codes.pop();
      return { body: { form: { grant_type: "authorization_code", code: c.code, redirect_uri: REDIRECT_URI, code_verifier: c.verifier, client_id: CLIENT_ID } } };
    }
    if (kind === "refresh" && pools.refresh.length) {
      const token = pools.refresh.pop();
      pools.spent.push(token);
      return { body: { form: { grant_type: "refresh_token", refresh_token: token, client_id: CLIENT_ID } } };
    }
    if (kind === "spent" && pools.spent.length) {
      return { body: { form: { grant_type: "refresh_token", refresh_token: rng.pick(pools.spent), client_id: CLIENT_ID } } };
    }
    return { body: { form: { grant_type: rng.pick(["refresh_token", "authorization_code", "password", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"]), refresh_token: rng.pick([f.revokedRefresh, rand(20)]), client_id: CLIENT_ID } } };
  },
  "POST /t/{tenant}/revoke": ({ f, pools, rng }) => ({
    body: { form: dropUndefined({ token: rng.pick([f.revokedRefresh, f.revokedAccess, rand(20), ...(pools.spent.length ? [rng.pick(pools.spent)] : []), f.userIdToken]), token_type_hint: rng.chance(0.3) ? rng.pick(["refresh_token", "access_token", "x"]) : undefined, client_id: rng.chance(0.5) ? CLIENT_ID : undefined }) },
  }),
  "GET /t/{tenant}/me": () => ({ auth: "user" }),
  "PATCH /t/{tenant}/me": ({ rng }) => ({ auth: "user", body: { username: rng.chance(0.1) ? rng.pick(["admin", "VICTIM"]) : rng.pick([`me${rand()}`, `Me.${rand()}_-x`]) } }),
  "POST /t/{tenant}/me/password": ({ f, rng }) => ({
    auth: "user",
    body: { currentPassword: rng.chance(0.6) ? f.userPassword : rng.pick(["wrong-password", f.password + "x"]), newPassword: rng.chance(0.1) ? rng.pick(["user", `user@${f.slug}.example`, f.userPassword]) : strongPassword(rng) },
  }),
  "GET /t/{tenant}/admin/settings": () => ({ auth: "admin" }),
  "PATCH /t/{tenant}/admin/settings": ({ rng }) => {
    const body = {};
    if (rng.chance(0.5)) body.allowRegistration = rng.chance(0.7);
    if (rng.chance(0.5)) body.newUsersActiveByDefault = rng.chance(0.5);
    if (rng.chance(0.4)) body.lockout = dropUndefined({ maxAttempts: rng.chance(0.7) ? rng.pick([1, 5, 100]) : undefined, lockoutSeconds: rng.chance(0.7) ? rng.pick([1, 900, 86_400]) : undefined });
    if (rng.chance(0.3)) body.providers = { [rng.pick(["work", "personal"])]: rng.pick([[], ["apple"], ["google", "google"], [...PROVIDERS]]) };
    if (rng.chance(0.3)) body.refreshTokenReuseSeconds = rng.pick([0, 30, 300]);
    return { auth: "admin", body };
  },
  "GET /t/{tenant}/admin/users": ({ f, pools, rng }) => ({
    auth: "admin",
    query: dropUndefined({
      status: rng.chance(0.4) ? rng.pick(["active", "inactive", "pending"]) : undefined,
      q: rng.chance(0.6) ? rng.pick(["user", "USER", "vic", `user@${f.slug}.example`, "a".repeat(49), "%", "_", "%_%", "\\", "'", "é", "👍", `${"x".repeat(40)}@example.com`, "a".repeat(100)]) : undefined,
      limit: rng.chance(0.5) ? String(rng.pick([1, 2, 50, 100])) : undefined,
      cursor: pools.cursors.length && rng.chance(0.4) ? rng.pick(pools.cursors) : undefined,
    }),
  }),
  "POST /t/{tenant}/admin/users": ({ f, rng }) => ({
    auth: "admin",
    body: dropUndefined({
      username: rng.chance(0.1) ? rng.pick(["user", "Admin"]) : rng.pick([`n${rand()}`, `N.${rand()}-_z`]),
      email: rng.chance(0.1) ? `victim@${f.slug}.example` : rng.pick([`n${rand()}@example.com`, `N${rand()}+x@EXAMPLE.com`]),
      firstName: rng.chance(0.7) ? rng.pick(["New", "Ünï", "a".repeat(100)]) : undefined,
      lastName: rng.chance(0.7) ? rng.pick(["User", "李"]) : undefined,
      password: rng.chance(0.5) ? strongPassword(rng) : undefined,
      roles: rng.chance(0.3) ? rng.pick([[], ["admin"], ["admin", "admin"]]) : undefined,
      active: rng.chance(0.3) ? rng.chance(0.5) : undefined,
    }),
  }),
  "GET /t/{tenant}/admin/users/{id}": ({ f, rng }) => ({ auth: "admin", params: { id: rng.pick([f.victimId, f.userId, f.adminId, randomUUID()]) } }),
  "PATCH /t/{tenant}/admin/users/{id}": ({ f, rng }) => ({
    auth: "admin",
    params: { id: rng.chance(0.9) ? f.victimId : randomUUID() },
    body: dropUndefined({
      active: rng.chance(0.4) ? rng.chance(0.5) : undefined,
      roles: rng.chance(0.3) ? rng.pick([[], ["admin"]]) : undefined,
      username: rng.chance(0.3) ? rng.pick([`v${rand()}`, "user", "victim"]) : undefined,
      firstName: rng.chance(0.3) ? rng.pick(["Vic", null, "a".repeat(100)]) : undefined,
      lastName: rng.chance(0.3) ? rng.pick(["Tim", null]) : undefined,
    }),
  }),
  "GET /t/{tenant}/admin/sign-in-attempts": ({ pools, rng }) => ({
    auth: "admin",
    query: dropUndefined({ limit: rng.chance(0.5) ? String(rng.pick([1, 10, 100])) : undefined, cursor: pools.cursors.length && rng.chance(0.4) ? rng.pick(pools.cursors) : undefined }),
  }),
  "POST /operator/tenants": ({ rng }) => {
    const name = rng.chance(0.05) ? rng.pick(["demo", "FZ-UPPER-" + rand(2)]) : `fo${rand()}`;
    return {
      auth: "operator",
      body: {
        name, displayName: rng.pick(["Fuzz Op", "Ünïcødé GmbH", "a".repeat(100)]),
        ...(rng.chance(0.4) ? { settings: dropUndefined({ allowRegistration: rng.chance(0.5), lockout: rng.chance(0.5) ? { maxAttempts: 3, lockoutSeconds: 60 } : undefined }) } : {}),
        admin: { username: "boss", email: `boss@${rand()}.example`, password: strongPassword(rng), ...(rng.chance(0.3) ? { firstName: "Bo", lastName: "Ss" } : {}) },
      },
    };
  },
  "GET /operator/tenants": ({ pools, rng }) => ({
    auth: "operator",
    query: dropUndefined({ limit: rng.chance(0.5) ? String(rng.pick([1, 5, 100])) : undefined, cursor: pools.cursors.length && rng.chance(0.4) ? rng.pick(pools.cursors) : undefined }),
  }),
};

function appleUser(rng) {
  return rng.pick([JSON.stringify({ name: { firstName: "Ann", lastName: "Apple" }, email: "ann@apple.example" }), "{", "null", "[]", "\"x\"",
    JSON.stringify({ name: { firstName: 1, lastName: {} } }), JSON.stringify({ name: null }), JSON.stringify({ name: { firstName: "a".repeat(3000) } }), "a".repeat(4096)]);
}
function dropUndefined(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

// ---- schema sampling, for operations not in VALID --------------------------------------------------------
function sample(doc, schema, name, ctx, depth = 0) {
  const s = resolveRef(doc, schema) ?? {};
  const { f, rng } = ctx;
  const known = { clientId: CLIENT_ID, client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, login: "user", email: `s${rand()}@example.com`, password: f.password, currentPassword: f.userPassword, newPassword: strongPassword(rng), username: `s${rand()}`, tenant: f.slug, id: f.victimId, userCode: "ABCD-EFGH", token: f.revokedRefresh };
  if (name in known) return known[name];
  if (s.enum) return rng.pick(s.enum);
  if ("const" in s) return s.const;
  if (s.default !== undefined && rng.chance(0.3)) return s.default;
  if (s.anyOf || s.oneOf) return sample(doc, rng.pick(s.anyOf ?? s.oneOf), name, ctx, depth + 1);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((part) => sample(doc, part, name, ctx, depth + 1)));
  const type = [s.type ?? "object"].flat().find((t) => t !== "null");
  if (type === "string") return "x".repeat(Math.max(s.minLength ?? 1, Math.min(8, s.maxLength ?? 8)));
  if (type === "integer" || type === "number") return s.minimum ?? 1;
  if (type === "boolean") return rng.chance(0.5);
  if (type === "array") return depth > 3 ? [] : [sample(doc, s.items ?? {}, name, ctx, depth + 1)];
  const out = {};
  if (depth > 4) return out;
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    if ((s.required ?? []).includes(key) || rng.chance(0.5)) out[key] = sample(doc, prop, key, ctx, depth + 1);
  }
  return out;
}

/** The structured valid request of `op`. */
export function validRequest(doc, op, ctx) {
  const key = `${op.method.toUpperCase()} ${op.path}`;
  const params = Object.fromEntries((op.spec.parameters ?? []).filter((p) => p.in === "path").map((p) => [p.name, sample(doc, p.schema, p.name, ctx)]));
  params.tenant = ctx.f.slug;
  const security = op.spec.security?.[0] ? Object.keys(op.spec.security[0])[0] : undefined;
  const defaultAuth = security === "operatorToken" ? "operator" : security ? (/\/admin\//.test(op.path) ? "admin" : "user") : undefined;
  const content = op.spec.requestBody?.content ?? {};
  const media = Object.keys(content)[0];
  let made = VALID[key]?.(ctx);
  if (!made) {
    const query = Object.fromEntries((op.spec.parameters ?? []).filter((p) => p.in === "query" && (p.required || ctx.rng.chance(0.3))).map((p) => [p.name, String(sample(doc, p.schema, p.name, ctx))]));
    const value = media ? sample(doc, content[media].schema, "", ctx) : undefined;
    made = { query, body: value === undefined ? undefined : /form/.test(media) ? { form: value } : { json: value } };
  }
  let body = made.body;
  if (body && !("json" in body) && !("form" in body) && !("raw" in body)) body = /form/.test(media ?? "") ? { form: body } : { json: body };
  return {
    op: key,
    method: op.method.toUpperCase(),
    template: op.path,
    params: { ...params, ...made.params },
    query: made.query ? Object.entries(made.query) : [],
    auth: made.auth ?? defaultAuth,
    body,
    ctype: undefined,
    headers: {},
    notes: [],
    expect: made.expect,
    why: made.why,
    idToken: made.idToken,
    matchesOp: true,
    pathOverride: undefined,
    media,
    hasBody: Boolean(media),
    formOp: /form/.test(media ?? "") ,
  };
}

// ---- mutations -----------------------------------------------------------------------------------------
/** Every path (array of keys) to a value inside `value`, up to depth 3. */
function pathsOf(value, prefix = [], out = []) {
  if (value && typeof value === "object" && prefix.length < 3) {
    for (const key of Object.keys(value)) {
      out.push([...prefix, key]);
      pathsOf(value[key], [...prefix, key], out);
    }
  }
  return out;
}
function setAt(root, path, value) {
  let node = root;
  for (const key of path.slice(0, -1)) node = node[key];
  if (value === undefined) Array.isArray(node) ? node.splice(Number(path.at(-1)), 1) : delete node[path.at(-1)];
  else node[path.at(-1)] = value;
}
const getAt = (root, path) => path.reduce((node, key) => node?.[key], root);

/** Mutations of a JSON (or form) body's fields. */
function mutateFields(s, ctx) {
  const { rng, f } = ctx;
  if (!s.body || !("json" in s.body || "form" in s.body)) s.body = { json: {} };
  const key = "json" in s.body ? "json" : "form";
  let value = s.body[key];
  if (value === null || typeof value !== "object") value = s.body[key] = {};
  const paths = pathsOf(value);
  const path = paths.length ? rng.pick(paths) : [rng.pick(["x", "login", "email", "password"])];
  const label = path.join(".");
  const kind = rng.weighted({ drop: 3, type: 4, edge: 6, huge: 2, null: 2, extra: 2, nested: 1, whole: 2, emptyObj: 1, caseKey: 1 });
  switch (kind) {
    case "drop": setAt(value, path, undefined); s.notes.push(`body.${label}: removed`); break;
    case "type": { const junk = clone(rng.pick(JUNK)); setAt(value, path, junk); s.notes.push(`body.${label}: ${short(junk)}`); break; }
    case "edge": { const str = rng.pick(edgeStrings(f)); setAt(value, path, str); s.notes.push(`body.${label}: edge string ${short(str)}`); break; }
    case "huge": { const n = rng.pick(HUGE); setAt(value, path, rng.pick(["x", "é", "👍"]).repeat(n)); s.notes.push(`body.${label}: ${n}-character string`); break; }
    case "null": setAt(value, path, null); s.notes.push(`body.${label}: null`); break;
    case "extra": {
      const name = rng.pick(["isAdmin", "roles", "id", "tenantId", "tenant", "admin", "active", "kind", "emailVerified", "", "a".repeat(1000), "x-extra"]);
      const junk = clone(rng.pick([...JUNK, ["admin"], true]));
      value[name] = junk;
      s.notes.push(`body: extra field ${short(name)}=${short(junk)}`);
      break;
    }
    case "nested": { const depth = rng.pick([10, 100, 1000]); setAt(value, path, nested(depth)); s.notes.push(`body.${label}: nested ${depth} deep`); break; }
    case "whole": { const whole = clone(rng.pick([[], "str", 123, true, null, [value], { body: value }, [[[]]]])); s.body[key] = whole; s.notes.push(`body: ${short(whole)} instead of an object`); break; }
    case "emptyObj": s.body[key] = {}; s.notes.push("body: {}"); break;
    case "caseKey": {
      const old = path.at(-1);
      if (typeof old === "string") { const v = getAt(value, path); setAt(value, path, undefined); setAt(value, [...path.slice(0, -1), old.toUpperCase()], v); }
      s.notes.push(`body.${label}: key upper-cased`);
      break;
    }
  }
  if (key === "form") {
    // A form carries strings only: anything else goes as its JSON text.
    const form = s.body.form;
    s.body.form = form && typeof form === "object" && !Array.isArray(form) ? Object.fromEntries(Object.entries(form).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v) ?? ""])) : { junk: JSON.stringify(form) };
  }
}

const short = (v) => { const t = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v); return t.length > 60 ? `${t.slice(0, 57)}…(${t.length})` : t; };

/** Bodies that are not (well-formed) JSON at all. */
function mutateRaw(s, ctx) {
  const { rng } = ctx;
  const valid = Buffer.from(JSON.stringify(s.body?.json ?? s.body?.form ?? {}));
  const options = {
    empty: () => Buffer.alloc(0),
    whitespace: () => Buffer.from("  \n\t "),
    openBrace: () => Buffer.from("{"),
    truncated: () => valid.subarray(0, Math.max(1, valid.length - rng.int(1, 5))),
    trailingComma: () => Buffer.from(valid.toString().replace(/}$/, ",}")),
    singleQuotes: () => Buffer.from(valid.toString().replaceAll("\"", "'")),
    trailingGarbage: () => Buffer.concat([valid, Buffer.from(" garbage")]),
    twoDocs: () => Buffer.concat([valid, valid]),
    bom: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), valid]),
    comment: () => Buffer.from(`/* c */ ${valid}`),
    nan: () => Buffer.from("{\"a\": NaN, \"b\": Infinity}"),
    bigExp: () => Buffer.from(valid.toString().replace(/^\{/, "{\"n\":1e999999,")),
    loneSurrogate: () => Buffer.from(valid.toString().replace(/:"/, ":\"\\ud800")),
    badEscape: () => Buffer.from(valid.toString().replace(/:"/, ":\"\\x41\\u12")),
    invalidUtf8: () => Buffer.concat([Buffer.from(valid.toString().replace(/:"/, ":\"").slice(0, 12)), Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from("\"}")]),
    utf16: () => Buffer.from(valid.toString(), "utf16le"),
    gzip: () => gzipSync(valid),
    nulByte: () => Buffer.from("\u0000"),
    deepArrays: () => Buffer.from(deep(rng.pick([1000, 10_000, 30_000]))),
    deepObjects: () => Buffer.from(`${"{\"a\":".repeat(5000)}1${"}".repeat(5000)}`),
    dupKeys: () => Buffer.from(valid.toString().replace(/^\{"([^"]+)":("[^"]*"|[^,}]*)/, (m, k) => `{"${k}":["dup"],${m.slice(1)}`)),
    proto: () => Buffer.from(valid.toString().replace(/^\{/, "{\"__proto__\":{\"admin\":true,\"roles\":[\"admin\"]},\"constructor\":{\"prototype\":{\"x\":1}},")),
    overLimit: () => Buffer.from(JSON.stringify({ ...(s.body?.json ?? {}), pad: "x".repeat(rng.pick([65_536, 70_000, 1_000_000])) })),
    justUnder: () => Buffer.from(JSON.stringify({ ...(s.body?.json ?? {}), pad: "x".repeat(60_000) })),
    number: () => Buffer.from("12"),
    string: () => Buffer.from("\"x\""),
    nullLiteral: () => Buffer.from("null"),
    binary: () => randomBytes(rng.int(1, 2048)),
  };
  const name = rng.pick(Object.keys(options));
  s.body = { raw: options[name](), rawKind: s.formOp ? "form" : "json" };
  s.notes.push(`raw body: ${name} (${s.body.raw.length} bytes)`);
}

/** Form bodies that are malformed, for the form-encoded operations. */
function mutateFormRaw(s, ctx) {
  const { rng } = ctx;
  const form = new URLSearchParams(s.body?.form ?? {}).toString();
  const options = {
    badPercent: () => `${form}&x=%zz%`,
    dupKeys: () => `${form}&${form}`,
    noEquals: () => `${form}&grant_type&token`,
    semicolons: () => form.replaceAll("&", ";"),
    plusSpaces: () => form.replaceAll("%20", "+"),
    arrays: () => form.replace(/(^|&)([^=]+)=/, "$1$2[]="),
    unicode: () => `${form}&x=${encodeURIComponent("👍é\u0000")}`,
    rawHighBytes: () => Buffer.concat([Buffer.from(`${form}&x=`), Buffer.from([0xff, 0xfe, 0x80])]),
    empty: () => "",
    onlyAmp: () => "&&&",
    huge: () => `${form}&pad=${"x".repeat(rng.pick([60_000, 70_000]))}`,
  };
  const name = rng.pick(Object.keys(options));
  const raw = options[name]();
  s.body = { raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw), rawKind: "form" };
  s.notes.push(`raw form: ${name}`);
}

const CONTENT_TYPES = [null, "text/plain", "text/plain;charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data",
  "multipart/form-data; boundary=FUZZ", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json;charset=iso-8859-1",
  "application/json; charset=utf-16", "application/merge-patch+json", "application/vnd.api+json", "application/problem+json",
  "application/jsonx", "json", "*/*", "application/*", "application/json, text/plain", "application/xml", "application/octet-stream",
  ";", "", "application/json; boundary=x", "application/x-www-form-urlencoded; charset=utf-8", "text/json", " application/json"];

function mutateContentType(s, ctx) {
  const { rng } = ctx;
  const ctype = rng.pick(CONTENT_TYPES);
  const fields = s.body?.json ?? s.body?.form ?? {};
  const flat = fields && typeof fields === "object" && !Array.isArray(fields) ? Object.entries(fields).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v) ?? ""]) : [];
  if (ctype?.startsWith("multipart/form-data; boundary=FUZZ")) {
    s.body = { raw: Buffer.from(flat.map(([k, v]) => `--FUZZ\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("") + "--FUZZ--\r\n"), rawKind: "multipart" };
  } else if (ctype?.startsWith("application/x-www-form-urlencoded") && s.body?.json !== undefined) {
    s.body = { form: Object.fromEntries(flat) };
  } else if (ctype?.includes("utf-16")) {
    s.body = { raw: Buffer.from(JSON.stringify(fields), "utf16le"), rawKind: "json" };
  } else if (ctype === "application/xml") {
    s.body = { raw: Buffer.from(`<?xml version="1.0"?><r>${flat.map(([k, v]) => `<${k}>${v}</${k}>`).join("")}</r>`), rawKind: "xml" };
  } else if (!s.body) {
    s.body = { json: fields };
  }
  if (s.formOp && ctype && /json/.test(ctype) && s.body?.form) s.body = { json: s.body.form };
  s.ctype = ctype;
  if (rng.chance(0.1)) { s.ctype = [ctype ?? "text/plain", "application/json"]; s.notes.push(`two Content-Type headers: ${ctype}, application/json`); }
  else s.notes.push(`Content-Type: ${ctype === null ? "(none)" : JSON.stringify(ctype)}`);
}

function mutatePath(s, ctx) {
  const { rng, f, foreign } = ctx;
  const names = Object.keys(s.params);
  // A literal path (a structural mutation) is final: later parameter mutations would not reach the wire.
  if (s.pathOverride !== undefined) { s.notes.push("(path already literal)"); return; }
  const target = rng.weighted({ tenant: names.includes("tenant") && s.template.includes("{tenant}") ? 5 : 0, provider: names.includes("provider") ? 2 : 0, id: names.includes("id") ? 3 : 0, structure: 2 });
  if (target === "tenant") {
    const value = rng.pick([f.slug.toUpperCase(), ` ${f.slug}`, `${f.slug} `, `zz${rand()}`, "ab", "a", "", "a".repeat(63), "a".repeat(64), "a".repeat(300),
      "-abc", "abc-", "a--b", "a_b", "a.b", "..", ".", "%2e%2e", "%2F", `${f.slug}%2F..`, `${f.slug}%00`, "%00", "%", "%zz", "%C0%AF", "ünïcode",
      "👍👍👍", "x'or'1", "NULL", "undefined", "demo", "console", "admin", foreign.slug, foreign.slug, foreign.slug]);
    s.params.tenant = value;
    s.rawParams = true;
    s.notes.push(`path tenant: ${short(value)}`);
    if (/^(\.|%2e)*$|%2f/i.test(value)) s.matchesOp = false; // routes elsewhere (or nowhere)
    s.tenantExpect = s.auth && value === foreign.slug ? { expect: "refuse", why: "a token of another tenant" } : undefined;
  } else if (target === "provider") {
    const value = rng.pick(["APPLE", "Apple", "github", "facebook", "", "apple%00", "apple%2F", "apple%20", "%61pple", "microsoft.com", "a".repeat(1000), "__proto__", "constructor"]);
    s.params.provider = value;
    s.rawParams = true;
    s.notes.push(`path provider: ${short(value)}`);
    if (value === "" || /%2f/i.test(value)) s.matchesOp = false;
  } else if (target === "id") {
    const value = rng.pick([randomUUID(), "1", "0", "-1", "null", "undefined", "a".repeat(5000), "%2F", "..", "%2e%2e", "1'%20OR%20'1'%3D'1", "%F0%9F%91%8D",
      foreign.userId, foreign.userId, f.victimId.toUpperCase(), `${f.victimId}%20`, `${f.victimId}%00`, `%20${f.victimId}`, "*", "%25"]);
    s.params.id = value;
    s.rawParams = true;
    s.notes.push(`path id: ${short(value)}`);
    if (/^(\.|%2e)+$|%2f/i.test(value)) s.matchesOp = false;
    s.idExpect = value === foreign.userId ? { expect: "refuse", why: "a user of another tenant" } : undefined;
  } else {
    const base = buildPath(s);
    const value = rng.pick([`${base}/`, base.replace(/^\//, "//"), `${base}/x`, `${base}/..`, `${base}/.`, base.replace("/t/", "/T/"), `${base};x=1`,
      base.replace(/(.)\/([^/]+)$/, "$1%2F$2"), `${base}%00`, `${base}%20`, `/./${base.slice(1)}`, `${base}/../${base.split("/").at(-1)}`, base.toUpperCase(), `${base}#frag`]);
    s.pathOverride = value;
    s.matchesOp = false;
    s.notes.push(`path: ${short(value)}`);
  }
}

function mutateQuery(s, ctx) {
  const { rng, f } = ctx;
  const declared = (ctx.op.spec.parameters ?? []).filter((p) => p.in === "query");
  const names = declared.map((p) => p.name);
  const kind = rng.weighted({ drop: names.length ? 2 : 0, value: names.length ? 5 : 0, dup: 2, unknown: 1, arrays: 1, rawJunk: 1, huge: 1 });
  const name = names.length ? rng.pick(names) : "x";
  const values = {
    limit: ["0", "-1", "1", "100", "101", "1e3", "abc", "1.5", "", "  5", "0x10", "9".repeat(30), "NaN", "Infinity", "[]"],
    q: ["a".repeat(49), "a".repeat(50), "a".repeat(51), "a".repeat(100), "a".repeat(101), "%", "_", "%_%", "\\", "'", "\u0000", "é👍", `user@${f.slug}.example`, `${"x".repeat(45)}@e.io`, ""],
    status: ["active", "inactive", "pending", "ACTIVE", "", "all", "foo"],
    cursor: ["", "abc", "!!!", Buffer.from("{\"a\":1}").toString("base64url"), Buffer.from("[]").toString("base64url"), Buffer.from("null").toString("base64url"), Buffer.from("\"zz\"").toString("base64url"), "x".repeat(513), "x".repeat(5000), Buffer.from(JSON.stringify("a".repeat(400))).toString("base64url"), Buffer.from(JSON.stringify([1e308, "x", null])).toString("base64url"), "=", "-_"],
  };
  const pool = values[name] ?? edgeStrings(f);
  const pairs = s.query;
  switch (kind) {
    case "drop": s.query = pairs.filter(([k]) => k !== name); s.notes.push(`query ${name}: removed`); break;
    case "value": { const value = rng.pick(pool); s.query = [...pairs.filter(([k]) => k !== name), [name, value]]; s.notes.push(`query ${name}=${short(value)}`); break; }
    case "dup": s.query = [...pairs, [name, rng.pick(pool)], [name, rng.pick(pool)]]; s.notes.push(`query ${name} repeated`); break;
    case "unknown": s.query = [...pairs, [rng.pick(["x", "__proto__", "tenant", "admin", "debug"]), "1"]]; s.notes.push("query: an unknown parameter"); break;
    case "arrays": s.query = pairs.map(([k, v]) => [`${k}[]`, v]); s.notes.push("query: names as k[]"); break;
    case "rawJunk": s.queryRaw = `${new URLSearchParams(pairs)}&${rng.pick(["%zz", "%", "a=%E0%A4%A", "=x", "&&", "a==b", "%00=%00"])}`; s.notes.push(`query raw: ${s.queryRaw.slice(-12)}`); break;
    case "huge": s.query = [...pairs.filter(([k]) => k !== name), [name, "q".repeat(rng.pick([2000, 8000, 20_000]))]]; s.notes.push(`query ${name}: huge`); break;
  }
}

/** Authorization header mutations: missing, malformed and tokens that must be refused. */
async function mutateAuth(s, ctx) {
  const { rng, f, foreign, h } = ctx;
  const needs = s.auth;
  const good = needs ? tokenFor(needs, f, h) : f.userAccess;
  // The last Authorization mutation is the one sent: its expectation replaces an earlier one's.
  s.authExpect = undefined;
  s.foreignToken = undefined;
  const refuse = (why) => { if (needs) s.authExpect = { expect: "refuse", why }; };
  const kind = rng.weighted({ none: needs ? 2 : 0, scheme: 3, garbage: 3, forged: needs && needs !== "operator" ? 8 : 1, swapped: 4, multi: 1 });
  s.authRaw = undefined;
  switch (kind) {
    case "none": s.auth = undefined; s.notes.push("no Authorization"); refuse("no token"); break;
    case "scheme": {
      // [value, must it be refused?]
      const [value, mustRefuse] = rng.pick([["Bearer", true], ["Bearer ", true], [`Bearer  ${good}`, false], [`bearer ${good}`, false], [`BEARER ${good}`, false],
        [`Basic ${Buffer.from("admin:x").toString("base64")}`, true], [`Bearer ${good} extra`, true], [`Token ${good}`, true], [good, true],
        [`Bearer\t${good}`, false], [`Bearer ${good},`, true], [`Bearer "${good}"`, true]]);
      s.authRaw = value;
      s.notes.push(`Authorization: ${short(value.replace(good, "<token>"))}`);
      if (mustRefuse) refuse("a malformed Authorization header");
      break;
    }
    case "garbage": {
      const value = rng.pick(["Bearer a.b.c", "Bearer x", `Bearer ${"A".repeat(rng.pick([2000, 8000, 20_000]))}`, `Bearer ${good.slice(0, -3)}abc`, `Bearer ${good}x`,
        `Bearer ${good.split(".").slice(0, 2).join(".")}.`, `Bearer ${alg_none(good)}`, "Bearer \u00ff\u00fe", `Bearer ${good.replace(/\./g, "..")}`, "Bearer null", "Bearer undefined"]);
      s.authRaw = value;
      s.notes.push(`Authorization: ${short(value.replace(good, "<token>"))}`);
      if (value !== `Bearer ${good}`) refuse("a token that is not valid");
      break;
    }
    case "forged": {
      const real = decode(good);
      const variant = rng.pick([
        ["expired", { expiresIn: -120, claims: { sub: real.sub, sid: real.sid } }],
        ["unknown session", { claims: { sub: real.sub } }],
        ["unknown user", { claims: { sub: randomUUID(), sid: real.sid } }],
        ["another tenant's tid", { claims: { sub: real.sub, sid: real.sid, tid: foreign.tenantId } }],
        ["another tenant's iss", { claims: { sub: real.sub, sid: real.sid, iss: `${h.origin}/t/${foreign.slug}` } }],
        ["unknown audience", { claims: { sub: real.sub, sid: real.sid, aud: "evil-client" } }],
        ["region us", { claims: { sub: real.sub, sid: real.sid, region: "us" } }],
        ["sub as a number", { claims: { sub: 12345, sid: real.sid } }],
        ["sid as an object", { claims: { sub: real.sub, sid: { a: 1 } } }],
        ["tid as an array", { claims: { sub: real.sub, sid: real.sid, tid: [real.tid] } }],
        ["no sid", { claims: { sub: real.sub }, drop: ["sid"] }],
        ["no exp", { claims: { sub: real.sub, sid: real.sid }, drop: ["exp"] }],
        ["typ JWT", { claims: { sub: real.sub, sid: real.sid }, header: { typ: "JWT" } }],
        ["unknown kid", { claims: { sub: real.sub, sid: real.sid }, header: { kid: "nope" } }],
        ["a user's token claiming admin", { claims: { sub: f.userId, sid: decode(f.userAccess).sid, roles: ["admin"] } }],
        ["another user's sub with this session", { claims: { sub: f.adminId, sid: decode(f.userAccess).sid } }],
        ["iat in the future", { claims: { sub: real.sub, sid: real.sid, iat: Math.floor(Date.now() / 1000) + 86_400 } }],
        ["nbf in the future", { claims: { sub: real.sub, sid: real.sid, nbf: Math.floor(Date.now() / 1000) + 86_400 } }],
        ["sub of the revoked session", { claims: { sub: f.userId, sid: decode(f.revokedAccess).sid } }],
        ["huge claims", { claims: { sub: real.sub, sid: real.sid, pad: "x".repeat(20_000) } }],
      ]);
      const [why, opts] = variant;
      const token = await h.forge(f, opts);
      s.authRaw = `Bearer ${token}`;
      s.notes.push(`Authorization: Bearer <ES256 token signed with the region's key: ${why}>`);
      const acceptable = why === "huge claims" || (why === "a user's token claiming admin" && needs === "user") || why === "iat in the future";
      if (!acceptable) refuse(`a forged token: ${why}`);
      s.placeholders = { ...s.placeholders, [token]: `<forged: ${why}>` };
      break;
    }
    case "swapped": {
      const options = [
        ["the user's ID token", f.userIdToken], ["a refresh token", f.userRefresh], ["an access token of a revoked session", f.revokedAccess],
        ["another tenant's admin token", foreign.adminAccess], ["another tenant's user token", foreign.userAccess], ["the operator token", h.operatorToken],
        ["a normal user's token", f.userAccess], ["the tenant admin's token", f.adminAccess],
      ];
      const [why, token] = rng.pick(options);
      s.authRaw = `Bearer ${token}`;
      s.notes.push(`Authorization: Bearer <${why}>`);
      const sameKind = token === good || (needs === "user" && token === f.adminAccess);
      if (!sameKind) refuse(why);
      // The other tenant's tokens are valid on the other tenant's path (a path mutation may put it there).
      s.foreignToken = token === foreign.adminAccess ? "admin" : token === foreign.userAccess ? "user" : undefined;
      break;
    }
    case "multi":
      s.authRaw = [`Bearer ${good}`, "Bearer x"];
      s.notes.push("two Authorization headers (valid, garbage)");
      break;
  }
}

function tokenFor(kind, f, h) {
  return kind === "operator" ? h.operatorToken : kind === "admin" ? f.adminAccess : f.userAccess;
}
function decode(jwt) {
  try { return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString()); } catch { return {}; }
}
function alg_none(jwt) {
  const [, payload] = jwt.split(".");
  return `${Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url")}.${payload}.`;
}

function mutateHeaders(s, ctx) {
  const { rng } = ctx;
  const kind = rng.weighted({ huge: 2, many: 1, ip: 3, ua: 1, accept: 1, encoding: 2, chunked: 1, expect: 1, misc: 2 });
  switch (kind) {
    case "huge": { const n = rng.pick([4000, 8000, 16_000, 30_000]); s.headers["x-fuzz"] = "h".repeat(n); s.notes.push(`header x-fuzz: ${n} bytes`); break; }
    case "many": for (let i = 0; i < 90; i++) s.headers[`x-h-${i}`] = rand(8); s.notes.push("90 extra headers"); break;
    case "ip": { const value = rng.pick(["", "garbage", "999.1.1.1", "1.2.3.4, 5.6.7.8", "::1", "a".repeat(1000), "127.0.0.1", "0.0.0.0", "::ffff:10.0.0.1", "fe80::1%eth0"]); s.ip = value; s.notes.push(`CF-Connecting-IP: ${short(value)}`); break; }
    case "ua": { const value = rng.pick(["", "u".repeat(10_000), "Mozilla/5.0 \u00e9\u00ff", "<script>"]); s.headers["user-agent"] = value; s.notes.push(`User-Agent: ${short(value)}`); break; }
    case "accept": { const value = rng.pick(["text/html", "application/xml", "*/*", "application/problem+json", "garbage", ""]); s.headers.accept = value; s.notes.push(`Accept: ${value}`); break; }
    case "encoding": {
      const value = rng.pick(["gzip", "br", "deflate", "identity", "x-junk"]);
      s.headers["content-encoding"] = value;
      if (value === "gzip" && rng.chance(0.5) && s.body && !s.body.raw) { s.body = { raw: gzipSync(Buffer.from(s.body.form ? new URLSearchParams(s.body.form).toString() : JSON.stringify(s.body.json))), rawKind: s.body.form ? "form" : "json" }; s.notes.push("gzip-compressed body"); }
      s.notes.push(`Content-Encoding: ${value}`);
      break;
    }
    case "chunked": s.chunked = true; s.notes.push("Transfer-Encoding: chunked"); break;
    case "expect": s.headers.expect = "100-continue"; s.notes.push("Expect: 100-continue"); break;
    case "misc": {
      const [name, value] = rng.pick([["origin", "https://evil.example"], ["cookie", "session=x; csrf=y"], ["x-forwarded-for", "1.1.1.1"], ["x-http-method-override", "DELETE"], ["x-original-url", "/operator/tenants"], ["forwarded", "for=1.1.1.1;host=evil"], ["range", "bytes=0-1"], ["if-none-match", "*"]]);
      s.headers[name] = value;
      s.notes.push(`${name}: ${value}`);
      break;
    }
  }
}

function mutateMethod(s, ctx) {
  const { rng } = ctx;
  const method = rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO", "PROPFIND", "TRACE"].filter((m) => m !== s.method));
  s.method = method;
  s.matchesOp = false;
  s.notes.push(`method ${method}`);
}

/** Valid requests, sometimes with one edge of the valid range. */
function edgeValid(s, ctx) {
  const { rng } = ctx;
  if (rng.chance(0.3) && s.template.includes("{tenant}")) { s.params.tenant = ctx.f.slug.toUpperCase(); s.notes.push("tenant name upper-cased"); }
  else s.notes.push("valid");
}

/**
 * One request for `op`: valid (about 1 in 8), otherwise one to three mutations. Returns the structured
 * request; serialize() makes it sendable.
 */
export async function generate(doc, op, ctx) {
  const s = validRequest(doc, op, ctx);
  s.placeholders = {};
  const { rng } = ctx;
  const hasQuery = (op.spec.parameters ?? []).some((p) => p.in === "query");
  const weights = {
    valid: 12,
    fields: s.hasBody ? 26 : 0,
    raw: s.hasBody ? 9 : 1,
    ctype: s.hasBody ? 10 : 2,
    path: 12,
    query: hasQuery ? 12 : 2,
    auth: s.auth ? 14 : 4,
    headers: 6,
    method: 3,
  };
  const rounds = rng.chance(0.15) ? rng.int(2, 3) : 1;
  for (let i = 0; i < rounds; i++) {
    const kind = rng.weighted(i === 0 ? weights : { ...weights, valid: 0 });
    s.kinds = [...(s.kinds ?? []), kind];
    if (kind === "valid") edgeValid(s, ctx);
    else if (kind === "fields") mutateFields(s, ctx);
    else if (kind === "raw") (s.formOp && rng.chance(0.5) ? mutateFormRaw : mutateRaw)(s, ctx);
    else if (kind === "ctype") mutateContentType(s, ctx);
    else if (kind === "path") mutatePath(s, ctx);
    else if (kind === "query") mutateQuery(s, ctx);
    else if (kind === "auth") await mutateAuth(s, ctx);
    else if (kind === "headers") mutateHeaders(s, ctx);
    else if (kind === "method") mutateMethod(s, ctx);
  }
  // On the other tenant's path, its own tokens are right: refused only for a user's token on admin routes.
  if (String(s.params.tenant ?? "").trim().toLowerCase() === ctx.foreign.slug && s.pathOverride === undefined) {
    if (s.foreignToken) {
      s.tenantExpect = undefined;
      s.idExpect = undefined;
      s.authExpect = s.foreignToken === "user" && s.auth === "admin" ? { expect: "refuse", why: "the other tenant's user token on its admin routes" } : undefined;
    }
  }
  // An ID token's refusal holds for the nonce and account it was sent with; a mutation of those (or of the
  // token) may make it right or wrong for another reason: then nothing is expected of it.
  if (s.idToken && s.expect) {
    const sent = s.body?.json;
    if (!sent || typeof sent !== "object" || sent.idToken !== s.idToken.jwt || sent.nonce !== s.idToken.nonce || sent.account !== s.idToken.account) {
      s.expect = undefined;
      s.why = undefined;
    }
  }
  // Refusals expected by the valid request (an ID token that must fail), the path or the Authorization header.
  const expected = [s.authExpect, s.tenantExpect, s.idExpect, s.expect ? { expect: s.expect, why: s.why } : undefined].find(Boolean);
  s.expect = expected?.expect;
  s.why = expected?.why;
  return s;
}

// ---- bytes on the wire ---------------------------------------------------------------------------------
/** Percent-encodes what an HTTP request line cannot carry (spaces, non-ASCII), keeping everything else raw. */
function wireSafe(path) {
  return path.replace(/[^\x21-\x7e]/gu, (ch) => encodeURIComponent(ch));
}

function buildPath(s) {
  return s.template.replace(/\{(\w+)\}/g, (_, name) => {
    const value = String(s.params[name] ?? "");
    return s.rawParams ? value : encodeURIComponent(value);
  });
}

export function serialize(s, ctx) {
  let path = s.pathOverride ?? buildPath(s);
  const query = s.queryRaw ?? (s.query.length ? new URLSearchParams(s.query).toString() : "");
  if (query) path += `?${query}`;
  const headers = { "user-agent": "printid-fuzz", "cf-connecting-ip": s.ip ?? randomIp(), ...s.headers };
  const auth = s.authRaw ?? (s.auth ? `Bearer ${tokenFor(s.auth, ctx.f, ctx.h)}` : undefined);
  if (auth !== undefined) headers.authorization = auth;
  let body;
  let ctype;
  if (s.body?.raw) {
    body = s.body.raw;
    ctype = s.body.rawKind === "form" ? "application/x-www-form-urlencoded" : s.body.rawKind === "multipart" ? "multipart/form-data; boundary=FUZZ" : s.body.rawKind === "xml" ? "application/xml" : "application/json";
  } else if (s.body?.form !== undefined) {
    body = Buffer.from(new URLSearchParams(s.body.form).toString());
    ctype = "application/x-www-form-urlencoded";
  } else if (s.body && "json" in s.body) {
    body = Buffer.from(JSON.stringify(s.body.json) ?? "");
    ctype = "application/json";
  }
  if (s.ctype !== undefined) ctype = s.ctype;
  if (ctype !== null && ctype !== undefined) headers["content-type"] = ctype;
  // Passwords the answer must not echo (not ones that are also another field's value, or one repeated letter).
  const others = JSON.stringify(Object.entries(s.body?.json && typeof s.body.json === "object" ? s.body.json : {}).filter(([k]) => !/password/i.test(k)));
  const secrets = [ctx.f.password, ctx.f.userPassword, ...collectSecrets(s.body?.json)]
    .filter((x) => typeof x === "string" && x.length >= 8 && !/^(.)\1*$/u.test(x) && !others.includes(x) && !decodeURIComponentSafe(path).includes(x));
  return { method: s.method, path: wireSafe(path), headers, body, chunked: s.chunked, expect: s.expect, why: s.why, matchesOp: s.matchesOp, notes: s.notes, kinds: s.kinds, secrets, placeholders: s.placeholders };
}

function decodeURIComponentSafe(text) {
  try { return decodeURIComponent(text); } catch { return text; }
}

function collectSecrets(json) {
  if (!json || typeof json !== "object") return [];
  const out = [];
  for (const [k, v] of Object.entries(json)) {
    if (/password/i.test(k) && typeof v === "string" && GENERATED.has(v)) out.push(v);
    else if (v && typeof v === "object") out.push(...collectSecrets(v));
  }
  return out;
}

// ---- per-operation preparation: tokens, flows and codes the valid requests use ---------------------------
/** Provider ID tokens for the native flow: valid ones and ones with edge claims (some must be refused). */
export async function idTokenPool(h, f, count = 150) {
  const pool = [];
  const now = () => Math.floor(Date.now() / 1000);
  const variants = [
    ["valid", null, undefined],
    ["valid with nonce", (p) => { p.nonce = "n-fuzz"; }, undefined, "n-fuzz"],
    ["sub as a number", (p) => { p.sub = 12345; }, "refuse"],
    ["sub as an object", (p) => { p.sub = { id: 1 }; }, "refuse"],
    ["sub as an array", (p) => { p.sub = ["a"]; }, "refuse"],
    ["empty sub", (p) => { p.sub = ""; }, "refuse"],
    ["huge sub", (p) => { p.sub = "s".repeat(3000); }, undefined],
    ["tid not a GUID", (p) => { p.tid = "not-a-guid"; }, "refuse", undefined, "microsoft"],
    ["tid with a slash", (p) => { p.tid = "a/x"; }, "refuse", undefined, "microsoft"],
    ["oid with a slash", (p) => { p.oid = "x/victim"; }, "refuse", undefined, "microsoft"],
    ["tid as a number", (p) => { p.tid = 7; }, "refuse", undefined, "microsoft"],
    ["consumers tid for a work account", (p) => { p.tid = CONSUMERS_TID; }, "refuse", undefined, "microsoft", "work"],
    ["email not an address", (p) => { p.email = "just-a-username"; }, undefined],
    ["email of the tenant admin, unverified", (p) => { p.email = `admin@${f.slug}.example`; p.email_verified = false; }, undefined],
    ["email of the tenant admin, verified", (p) => { p.email = `admin@${f.slug}.example`; p.email_verified = true; }, undefined],
    ["email as an array", (p) => { p.email = ["a@b.c"]; }, undefined],
    ["email_verified \"false\"", (p) => { p.email_verified = "false"; }, undefined],
    ["email_verified 1", (p) => { p.email_verified = 1; }, undefined],
    ["names of odd types", (p) => { p.given_name = 123; p.family_name = { x: 1 }; }, undefined],
    ["huge names", (p) => { p.given_name = "g".repeat(5000); p.family_name = "\u0000"; }, undefined],
    ["expired", (p) => { p.exp = now() - 3600; p.iat = now() - 7200; }, "refuse"],
    ["issued in the future", (p) => { p.iat = now() + 7200; }, undefined],
    ["unknown audience", (p) => { p.aud = "someone-else"; }, "refuse"],
    ["audience list", (p, _h, name) => { p.aud = ["someone-else", p.aud]; }, undefined],
    ["another issuer", (p) => { p.iss = "https://evil.example"; }, "refuse"],
    ["unknown kid", (p, header) => { header.kid = "unknown-kid"; }, "refuse"],
    ["nonce in token, other nonce sent", (p) => { p.nonce = "n-token"; }, "refuse", "n-other"],
    ["nonce sent, none in token", null, "refuse", "n-missing"],
  ];
  for (let i = 0; i < count; i++) {
    const [why, mutate, expect, nonce, only, onlyAccount] = variants[i % variants.length];
    const provider = only ?? PROVIDERS[i % PROVIDERS.length];
    const account = onlyAccount ?? (provider === "microsoft" ? "work" : i % 2 ? "work" : "personal");
    const jwt = await h.providerIdToken(provider, { hint: `id.${rand(3)}`, mutate: mutate ? (p, header) => mutate(p, header, provider) : undefined });
    pool.push({ jwt, provider, account, nonce, expect, why: `provider ID token: ${why}` });
  }
  for (const provider of PROVIDERS) {
    pool.push({ jwt: `${(await h.providerIdToken(provider)).slice(0, -4)}AAAA`, provider, account: "work", expect: "refuse", why: "provider ID token: bad signature" });
  }
  return pool;
}
