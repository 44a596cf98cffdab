// The oracle of `npm run fuzz`: is one answer inside the HTTP contract (/work/shared/API.md, "Conventions"
// and "Error codes") and the operation's /openapi.json description? Returns violations (the run fails on
// any) and notes (reported, not failing: e.g. a status or code the operation's description does not list).

/** The contract's error codes and their statuses (API.md "Error codes", and the 2026-12 additions). */
export const CONTRACT_CODES = {
  validation_failed: 400, invalid_credentials: 401, unauthorized: 401, forbidden: 403, account_inactive: 403,
  account_pending_activation: 403, registration_disabled: 403, external_auth_unavailable_for_existing_account: 409,
  tenant_not_found: 404, tenant_disabled: 403, not_found: 404, account_exists: 409, username_taken: 409,
  tenant_exists: 409, account_locked: 429, rate_limited: 429, provider_error: 502, unavailable: 503,
  email_unverified: 403, password_change_required: 403, mfa_required: 401,
};
/** Codes printid added for bodies refused before they are read (src/http/errors.ts); not in API.md's list. */
export const EXTENSION_CODES = { payload_too_large: 413, unsupported_media_type: 415 };
/** RFC 6749 §5.2 (and RFC 7009, RFC 8628) `error` values, with the status each may carry. */
const OAUTH_ERRORS = {
  invalid_request: [400, 413, 415], invalid_client: [401, 400], invalid_grant: [400], unauthorized_client: [400, 401],
  unsupported_grant_type: [400], invalid_scope: [400], unsupported_token_type: [400],
  authorization_pending: [400], slow_down: [400, 429], access_denied: [400], expired_token: [400],
  rate_limited: [429], temporarily_unavailable: [503], server_error: [500],
};
const STANDARD_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
/** Bits of an internal failure that must never reach a client. */
const LEAKS = /SQLITE_|D1_ERROR|at async |at Object\.|node_modules|\.ts:\d+|TypeError:|ReferenceError:|ZodError|drizzle|stack"/;

export function resolveRef(doc, schema) {
  let s = schema;
  for (let i = 0; s && s.$ref && i < 20; i++) s = s.$ref.replace(/^#\//, "").split("/").reduce((o, k) => o?.[k], doc);
  return s;
}

const typeOf = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);

/** A JSON-schema (OpenAPI 3.1) check, enough for what zod-openapi generates; returns the first mismatch. */
export function schemaMismatch(doc, schema, value, path = "$") {
  const s = resolveRef(doc, schema);
  if (!s || Object.keys(s).length === 0) return null;
  if (s.allOf) for (const part of s.allOf) { const m = schemaMismatch(doc, part, value, path); if (m) return m; }
  if (s.anyOf && !s.anyOf.some((part) => !schemaMismatch(doc, part, value, path))) return `${path}: matches none of anyOf`;
  if (s.oneOf && s.oneOf.filter((part) => !schemaMismatch(doc, part, value, path)).length !== 1) return `${path}: not exactly one of oneOf`;
  if ("const" in s && value !== s.const) return `${path}: expected ${JSON.stringify(s.const)}`;
  if (s.enum && !s.enum.includes(value)) return `${path}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`;
  if (s.type) {
    const types = [s.type].flat();
    const t = typeOf(value);
    const ok = types.includes(t) || (t === "integer" && types.includes("number")) || (s.nullable && value === null);
    if (!ok) return `${path}: ${t}, expected ${types.join("|")}`;
  }
  if (typeof value === "string") {
    if (s.minLength !== undefined && value.length < s.minLength) return `${path}: shorter than ${s.minLength}`;
    if (s.maxLength !== undefined && value.length > s.maxLength) return `${path}: longer than ${s.maxLength}`;
  }
  if (typeof value === "number") {
    if (s.minimum !== undefined && value < s.minimum) return `${path}: below ${s.minimum}`;
    if (s.maximum !== undefined && value > s.maximum) return `${path}: above ${s.maximum}`;
  }
  if (Array.isArray(value) && s.items) {
    for (const [i, item] of value.entries()) { const m = schemaMismatch(doc, s.items, item, `${path}[${i}]`); if (m) return m; }
  }
  if (typeOf(value) === "object") {
    for (const name of s.required ?? []) if (!(name in value)) return `${path}.${name}: missing`;
    for (const [name, item] of Object.entries(value)) {
      if (s.properties?.[name]) { const m = schemaMismatch(doc, s.properties[name], item, `${path}.${name}`); if (m) return m; }
      else if (s.additionalProperties === false) return `${path}.${name}: not in the schema`;
      else if (typeof s.additionalProperties === "object") { const m = schemaMismatch(doc, s.additionalProperties, item, `${path}.${name}`); if (m) return m; }
    }
  }
  return null;
}

function retryAfterOk(value) {
  if (value === undefined) return false;
  return /^\d+$/.test(value.trim()) || !Number.isNaN(Date.parse(value));
}

function parseJson(body) {
  try { return { ok: true, value: JSON.parse(body.toString("utf8")) }; } catch { return { ok: false }; }
}

/** The codes an error status of the operation's description names ("registration_disabled, tenant_disabled"). */
function documentedCodes(response) {
  return new Set((response?.description ?? "").split(/[^a-z_]+/).filter((word) => word in CONTRACT_CODES || word in EXTENSION_CODES || word in OAUTH_ERRORS));
}

/**
 * Checks one answer. `op` is the operation the request was built for ({ method, path, spec }), `req` what was
 * sent (method, path, headers, expect), `res` what came back ({ status, headers, body: Buffer, ms, error }).
 */
export function check(doc, op, req, res, { slowMs = 15_000 } = {}) {
  const violations = [];
  const notes = [];
  // One violation per kind and answer: several findings of one kind are one message.
  const v = (kind, message) => {
    const same = violations.find((x) => x.kind === kind);
    if (same) same.message += `; ${message}`;
    else violations.push({ kind, message });
  };
  const n = (kind, message) => notes.push({ kind, message });
  // A large body the Worker answers before reading (413 over the 64 KiB limit, or an early 401/404): under
  // wrangler dev, 2-40 % of such requests get a plain-text 500 from wrangler's proxy, a reset or no answer
  // instead of the Worker's answer (fuzz/README.md). Listed apart, not counted.
  const big = (req.body?.length ?? 0) > 32_768;
  if (res.error) {
    if (big) return { violations, notes, ignored: "no answer (reset or timeout) to a body over 32 KiB, under wrangler dev" };
    v("no-answer", `no HTTP answer: ${res.error}`);
    return { violations, notes, ignored: false };
  }
  const { status } = res;
  const header = (name) => res.headers[name.toLowerCase()];
  // wrangler dev itself answers 501 for a method it does not know, before the Worker sees the request.
  if (status === 501 && !STANDARD_METHODS.has(req.method)) return { violations, notes, ignored: "wrangler dev's 501 for a method it does not know" };
  // ... and its proxy a plain-text 500 on some over-limit bodies.
  const proxyError = /^Error: (Network connection lost|Promise will never complete)/.exec(res.body.toString("utf8"));
  if (status === 500 && big && proxyError && /miniflare/.test(res.body.toString("utf8"))) {
    return { violations, notes, ignored: `wrangler dev's proxy: 500 "${proxyError[1]}" to a body over 32 KiB` };
  }
  if (res.ms > slowMs) v("slow", `answered after ${Math.round(res.ms)} ms`);

  // The path as the Worker sees it (dot segments resolved, as WHATWG URL parsing does).
  let rawPath = req.path.split("?")[0];
  try { rawPath = new URL(req.path, "http://fuzz.invalid").pathname; } catch { /* keep raw */ }
  // Another method on these paths may answer either shape.
  const tokenPath = /^\/t\/[^/]+\/(token|revoke)$/.test(rawPath);
  const oddTenant = /^\/t\/((\.|%2e)+|[^/]*%2f[^/]*)\//i.test(rawPath);
  const looksOAuth = /^\s*\{\s*"error"/.test(res.body.toString("utf8"));
  const oauthRoute = tokenPath && (looksOAuth || (req.method === "POST" && !oddTenant));
  const spec = op.spec;
  const documented = spec.responses?.[String(status)];
  const text = res.body.toString("utf8");
  const ctype = (header("content-type") ?? "").toLowerCase();
  const bodyExpected = req.method !== "HEAD" && status !== 204 && status !== 304;

  if (status >= 500) v("5xx", `${status} ${text.slice(0, 300)}`);
  // Issue 10, point 8: every error answer names its request (the id of its log line).
  if (status >= 400 && !header("x-request-id")) v("request-id", `${status} without X-Request-Id`);
  if ((status === 429 || status === 503) && !retryAfterOk(header("retry-after"))) v("no-retry-after", `${status} without a valid Retry-After (${header("retry-after")})`);
  if (LEAKS.test(text)) v("leak", `the body shows internals: ${text.match(LEAKS)[0]}`);
  if (req.secrets?.some((secret) => secret && text.includes(secret))) v("leak", "the body echoes a password or token of the request");

  if (status >= 400) {
    if (oauthRoute && status < 500) checkOAuthError(status, ctype, text, v, n);
    else if (bodyExpected) checkProblem(status, ctype, text, v, n);
    const parsed = parseJson(res.body);
    const code = parsed.ok ? (parsed.value.code ?? parsed.value.error) : undefined;
    if (req.matchesOp && !documented) n("undocumented-status", `${status} ${code ?? ""} is not among the responses of ${op.method.toUpperCase()} ${op.path}`);
    else if (req.matchesOp && code && !documentedCodes(documented).has(code) && documentedCodes(documented).size > 0) {
      n("undocumented-code", `${status} ${code} is not named by the ${status} response of ${op.method.toUpperCase()} ${op.path}`);
    }
  } else if (status >= 300) {
    if (status !== 302) v("redirect", `${status}: the contract redirects with 302 only`);
    const location = header("location");
    if (!location) v("redirect", `${status} without Location`);
    else {
      try {
        const url = new URL(location);
        const error = url.searchParams.get("error");
        if (error !== null && !(error in CONTRACT_CODES) && !(error in OAUTH_ERRORS)) v("redirect-error-code", `redirect error=${error} is not a contract code`);
        if (error !== null && !url.searchParams.get("error_description")) v("redirect-error-code", `redirect error=${error} without error_description`);
      } catch { v("redirect", `Location is not an absolute URL: ${location.slice(0, 200)}`); }
    }
    if (req.matchesOp && !documented) v("undocumented-2xx-3xx", `${status} is not among the responses of ${op.method.toUpperCase()} ${op.path}`);
  } else if (status >= 200) {
    if (req.expect === "refuse") v("accepted", `${status}: accepted a request that must be refused (${req.why})`);
    if (req.matchesOp) {
      if (!documented) v("undocumented-2xx-3xx", `${status} is not among the responses of ${op.method.toUpperCase()} ${op.path}`);
      else if (bodyExpected) {
        const media = documented.content && Object.keys(documented.content)[0];
        if (!media) {
          if (res.body.length > 0) v("2xx-body", `${status} documented without a body, got ${res.body.length} bytes`);
        } else if (/json/.test(media)) {
          const parsed = parseJson(res.body);
          if (!/json/.test(ctype)) v("2xx-body", `${status} Content-Type ${ctype || "(none)"}, documented ${media}`);
          if (!parsed.ok) v("2xx-body", `${status} body is not JSON: ${text.slice(0, 120)}`);
          else {
            const mismatch = schemaMismatch(doc, documented.content[media].schema, parsed.value);
            if (mismatch) v("2xx-schema", `${status} body does not match /openapi.json: ${mismatch}`);
          }
        }
      }
      if (/\/admin\//.test(op.path) && !/no-store/.test(header("cache-control") ?? "")) v("cache-control", "admin API answer without Cache-Control: no-store");
      if (/"access_token"/.test(text) && !/no-store/.test(header("cache-control") ?? "")) v("cache-control", "token response without Cache-Control: no-store (RFC 6749 §5.1)");
    }
  } else v("status", `unexpected status ${status}`);
  return { violations, notes, ignored: false };
}

function checkProblem(status, ctype, text, v, n) {
  if (!ctype.startsWith("application/problem+json")) v("problem-shape", `${status} Content-Type ${ctype || "(none)"}, not application/problem+json: ${text.slice(0, 160)}`);
  let body;
  try { body = JSON.parse(text); } catch { return v("problem-shape", `${status} body is not JSON: ${text.slice(0, 160)}`); }
  if (typeOf(body) !== "object") return v("problem-shape", `${status} body is not an object`);
  for (const key of ["type", "title", "detail", "code"]) if (typeof body[key] !== "string" || body[key] === "") v("problem-shape", `${status} problem without a string ${key}`);
  if (body.status !== status) v("problem-shape", `problem status ${body.status} ≠ HTTP ${status}`);
  const expected = CONTRACT_CODES[body.code] ?? EXTENSION_CODES[body.code];
  if (expected === undefined) v("problem-code", `code ${JSON.stringify(body.code)} is not a contract code`);
  else if (expected !== status) v("problem-code", `code ${body.code} answers ${expected} in the contract, here ${status}`);
  else if (body.code in EXTENSION_CODES) n("extension-code", `${status} ${body.code}: a code API.md does not list`);
  if (body.code === "validation_failed") {
    const ok = Array.isArray(body.errors) && body.errors.length > 0 && body.errors.every((e) => typeOf(e) === "object" && typeof e.path === "string" && typeof e.message === "string" && e.message !== "");
    if (!ok) v("validation-errors", `validation_failed without errors: [{ path, message }] (detail: ${body.detail})`);
  }
  if (typeof body.detail === "string" && body.detail === body.code) v("problem-detail", `detail repeats the code (${body.code})`);
}

function checkOAuthError(status, ctype, text, v) {
  if (!ctype.startsWith("application/json")) v("oauth-shape", `${status} Content-Type ${ctype || "(none)"} on /token or /revoke, not application/json: ${text.slice(0, 160)}`);
  let body;
  try { body = JSON.parse(text); } catch { return v("oauth-shape", `${status} body is not JSON: ${text.slice(0, 160)}`); }
  if (typeOf(body) !== "object" || typeof body.error !== "string") return v("oauth-shape", `${status} not RFC 6749 { error, error_description }: ${text.slice(0, 200)}`);
  if (typeof body.error_description !== "string" || body.error_description === "") v("oauth-shape", `${status} ${body.error} without error_description`);
  const statuses = OAUTH_ERRORS[body.error];
  if (!statuses) v("oauth-code", `error ${JSON.stringify(body.error)} (${status}) is not an RFC 6749 / 7009 / 8628 error`);
  else if (!statuses.includes(status)) v("oauth-code", `error ${body.error} with status ${status}`);
  if (body.error_description === body.error) v("problem-detail", `error_description repeats the error (${body.error})`);
}

/** The console's pages are HTML, not API: only no 5xx, an answer at all, and no internals shown. */
export function checkPage(req, res) {
  const violations = [];
  const big = (req.body?.length ?? 0) > 32_768;
  if (big && (res.error || (res.status === 500 && /^Error: (Network connection lost|Promise will never complete)[\s\S]*miniflare/.test(res.body.toString("utf8"))))) {
    return { violations, notes: [], ignored: "wrangler dev's proxy: 500 or no answer to a body over 32 KiB" };
  }
  if (res.error) violations.push({ kind: "no-answer", message: `no HTTP answer: ${res.error}` });
  else {
    const text = res.body.toString("utf8");
    if (res.status >= 500) violations.push({ kind: "5xx", message: `${res.status} ${text.replace(/\s+/g, " ").slice(0, 300)}` });
    if (LEAKS.test(text)) violations.push({ kind: "leak", message: `the page shows internals: ${text.match(LEAKS)[0]}` });
    if ((res.status === 429 || res.status === 503) && !retryAfterOk(res.headers["retry-after"])) violations.push({ kind: "no-retry-after", message: `${res.status} without Retry-After` });
  }
  return { violations, notes: [], ignored: false };
}
