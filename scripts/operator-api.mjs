// What the scripts that call a running region share (tenant-create.mjs, tenant-move.mjs, device-try.mjs,
// device-approve.mjs): their options' parsing and refusals, the regions' origins, the values of .dev.vars
// (the operator token, the demo admin's password), one call of the operator API or of a tenant's API, and
// an admin's or a person's sign-in.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export const origins = {
  eu: process.env.PRINTID_EU_URL ?? "http://127.0.0.1:8787",
  us: process.env.PRINTID_US_URL ?? "http://127.0.0.1:8788",
};

export const ENVIRONMENT_HELP = `Environment:
  PRINTID_EU_URL, PRINTID_US_URL   the regions' origins (default http://127.0.0.1:8787, :8788)
  OPERATOR_TOKEN                   the operator API token (default: OPERATOR_TOKEN of .dev.vars)`;

export function fail(message) {
  console.error(message);
  process.exit(1);
}

/**
 * The options `options` declares (plus -h/--help, which prints `usage`), with `required` present and
 * `--region` one of the regions; a refusal is a one-line error instead of a stack.
 */
export function parseOptions(usage, options, required, { allowPositionals = false } = {}) {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({ allowPositionals, options: { ...options, help: { type: "boolean", short: "h", default: false } } }));
  } catch (error) {
    fail(`${error.message}\nRun with --help for the options.`);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const missing = required.filter((option) => !values[option]);
  if (missing.length > 0) fail(`Missing ${missing.map((option) => `--${option}`).join(", ")}\n\n${usage}`);
  if (!Object.hasOwn(origins, values.region)) fail(`Unknown region '${values.region}': use one of ${Object.keys(origins).join(", ")}`);
  return allowPositionals ? { ...values, positionals } : values;
}

/** The demo tenant that `npm run dev` seeds in `region`. */
export const demoTenant = (region) => (region === "us" ? "demo-us" : "demo");

/** `name` from the environment, else from the .dev.vars that `npm run dev` wrote (undefined if neither has it). */
export function devVar(name) {
  if (process.env[name]) return process.env[name];
  const devVars = join(root, ".dev.vars");
  const line = existsSync(devVars) && readFileSync(devVars, "utf8").match(new RegExp(`^\\s*${name}\\s*=(.*)$`, "m"));
  return (line && line[1].trim().replace(/^(["'])(.*)\1$/, "$2")) || undefined;
}

/** OPERATOR_TOKEN from the environment; for local use, from the .dev.vars that `npm run dev` wrote. */
export function operatorToken() {
  const token = devVar("OPERATOR_TOKEN");
  if (!token) fail("No operator token: set OPERATOR_TOKEN, or run `npm run dev` once to create .dev.vars.");
  return token;
}

/** POSTs `body` to the operator API of `origin`: the status and the JSON answer. */
export async function postOperator(origin, path, body, token = operatorToken()) {
  return call(origin, path, { method: "POST", headers: { authorization: `Bearer ${token}` }, json: body });
}

/**
 * One request to `origin`: `json` is sent as JSON, `form` as application/x-www-form-urlencoded; the status,
 * the headers and the JSON answer ({} if none). An unreachable region is a one-line error.
 */
export async function call(origin, path, { method = "GET", headers = {}, json, form } = {}) {
  const init = { method, headers: { ...headers } };
  if (json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.headers["content-type"] = "application/x-www-form-urlencoded";
    init.body = new URLSearchParams(form).toString();
  }
  try {
    const response = await fetch(`${origin}${path}`, init);
    return { status: response.status, headers: response.headers, body: await response.json().catch(() => ({})) };
  } catch (error) {
    fail(`Cannot reach ${origin} (${error.cause?.code ?? error.cause?.message ?? error.message}): is the region running (npm run dev)?`);
  }
}

/**
 * Signs `login` in to `tenant` as the app does (client printid-mobile): its access token, or a one-line
 * error. The password defaults to DEMO_ADMIN_PASSWORD (environment, else .dev.vars).
 */
export async function signIn(origin, tenant, login, password = devVar("DEMO_ADMIN_PASSWORD")) {
  if (!password) fail("No password: pass --password, or run `npm run dev` once to create .dev.vars (DEMO_ADMIN_PASSWORD).");
  const { status, body } = await call(origin, `/t/${encodeURIComponent(tenant)}/sign-in`, {
    method: "POST",
    json: { login, password, clientId: "printid-mobile" },
  });
  if (status !== 200 || !body.access_token) {
    printProblem(`Sign-in of '${login}' at ${origin}/t/${tenant} refused`, status, body);
    process.exit(1);
  }
  return body.access_token;
}

/** A problem document (RFC 9457) on stderr: its detail, and for validation_failed each field's message. */
export function printProblem(what, status, body) {
  const code = body.code ?? body.error ?? "";
  console.error(`${what} (${status}${code ? ` ${code}` : ""}): ${body.detail ?? body.error_description ?? body.title ?? JSON.stringify(body)}`);
  for (const { path, message } of body.errors ?? []) console.error(`  ${path}: ${message}`);
}
