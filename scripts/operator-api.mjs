// What the operator scripts (tenant-create.mjs, tenant-move.mjs) share: their options' parsing and
// refusals, the regions' origins, the operator token, and one call of the operator API.
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
export function parseOptions(usage, options, required) {
  let values;
  try {
    ({ values } = parseArgs({ options: { ...options, help: { type: "boolean", short: "h", default: false } } }));
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
  return values;
}

/** OPERATOR_TOKEN from the environment; for local use, from the .dev.vars that `npm run dev` wrote. */
export function operatorToken() {
  if (process.env.OPERATOR_TOKEN) return process.env.OPERATOR_TOKEN;
  const devVars = join(root, ".dev.vars");
  const line = existsSync(devVars) && readFileSync(devVars, "utf8").match(/^\s*OPERATOR_TOKEN\s*=(.*)$/m);
  const token = line && line[1].trim().replace(/^(["'])(.*)\1$/, "$2");
  if (!token) fail("No operator token: set OPERATOR_TOKEN, or run `npm run dev` once to create .dev.vars.");
  return token;
}

/** POSTs `body` to the operator API of `origin`: the status and the JSON answer. */
export async function postOperator(origin, path, body, token = operatorToken()) {
  try {
    const response = await fetch(`${origin}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: await response.json().catch(() => ({})) };
  } catch (error) {
    fail(`Cannot reach ${origin} (${error.cause?.code ?? error.cause?.message ?? error.message}): is the region running (npm run dev)?`);
  }
}

/** A problem document (RFC 9457) on stderr: its detail, and for validation_failed each field's message. */
export function printProblem(what, status, body) {
  console.error(`${what} (${status} ${body.code ?? ""}): ${body.detail ?? JSON.stringify(body)}`);
  for (const { path, message } of body.errors ?? []) console.error(`  ${path}: ${message}`);
}
