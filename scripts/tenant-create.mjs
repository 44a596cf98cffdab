// `npm run tenant:create -- --region eu --name acme --admin-email a@acme.example`: creates a tenant and
// its first admin through the operator API of one region. Run with --help for every option.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const usage = `Usage: npm run tenant:create -- --region <eu|us> --name <name> --admin-email <email> [options]

Creates a tenant in one region, with its first admin, through POST /operator/tenants.

  --region <eu|us>        the tenant's home region (required)
  --name <name>           the tenant name: 3-63 of a-z, 0-9 and - (required)
  --admin-email <email>   the first admin's e-mail address (required)
  --admin-username <u>    the first admin's username (default: admin)
  --admin-password <p>    8-256 characters (default: a generated one, printed once)
  --display-name <text>   the name people see (default: the tenant name)
  --allow-registration    let people register themselves
  --new-users-active      registered users can sign in at once, without an admin's approval
  -h, --help              this text

Environment:
  PRINTID_EU_URL, PRINTID_US_URL   the regions' origins (default http://127.0.0.1:8787, :8788)
  OPERATOR_TOKEN                   the operator API token (default: OPERATOR_TOKEN of .dev.vars)`;

/** parseArgs, with its refusals (unknown option, missing value) as a one-line error instead of a stack. */
function tryParseArgs(config) {
  try {
    return parseArgs(config);
  } catch (error) {
    fail(`${error.message}\nRun with --help for the options.`);
  }
}

const origins = {
  eu: process.env.PRINTID_EU_URL ?? "http://127.0.0.1:8787",
  us: process.env.PRINTID_US_URL ?? "http://127.0.0.1:8788",
};

function fail(message) {
  console.error(message);
  process.exit(1);
}

function parseOptions() {
  const { values } = tryParseArgs({
    options: {
      region: { type: "string" },
      name: { type: "string" },
      "admin-email": { type: "string" },
      "admin-username": { type: "string", default: "admin" },
      "admin-password": { type: "string" },
      "display-name": { type: "string" },
      "allow-registration": { type: "boolean", default: false },
      "new-users-active": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const missing = ["region", "name", "admin-email"].filter((option) => !values[option]);
  if (missing.length > 0) fail(`Missing ${missing.map((option) => `--${option}`).join(", ")}\n\n${usage}`);
  if (!Object.hasOwn(origins, values.region)) fail(`Unknown region '${values.region}': use one of ${Object.keys(origins).join(", ")}`);
  return values;
}

/** OPERATOR_TOKEN from the environment; for local use, from the .dev.vars that `npm run dev` wrote. */
function operatorToken() {
  if (process.env.OPERATOR_TOKEN) return process.env.OPERATOR_TOKEN;
  const devVars = join(root, ".dev.vars");
  const line = existsSync(devVars) && readFileSync(devVars, "utf8").match(/^\s*OPERATOR_TOKEN\s*=(.*)$/m);
  const token = line && line[1].trim().replace(/^(["'])(.*)\1$/, "$2");
  if (!token) fail("No operator token: set OPERATOR_TOKEN, or run `npm run dev` once to create .dev.vars.");
  return token;
}

async function createTenant(origin, token, body) {
  try {
    const response = await fetch(`${origin}/operator/tenants`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => ({})) };
  } catch (error) {
    fail(`Cannot reach ${origin} (${error.cause?.code ?? error.cause?.message ?? error.message}): is the region running (npm run dev)?`);
  }
}

async function main() {
  const options = parseOptions();
  const generated = options["admin-password"] === undefined;
  const password = options["admin-password"] ?? randomBytes(18).toString("base64url");
  const origin = origins[options.region];
  const { status, body } = await createTenant(origin, operatorToken(), {
    name: options.name,
    displayName: options["display-name"] ?? options.name,
    settings: { allowRegistration: options["allow-registration"], newUsersActiveByDefault: options["new-users-active"] },
    admin: { username: options["admin-username"], email: options["admin-email"], password },
  });

  if (status !== 201) {
    // A problem document (RFC 9457): its detail, and for validation_failed each field's message.
    console.error(`Not created (${status} ${body.code ?? ""}): ${body.detail ?? JSON.stringify(body)}`);
    for (const { path, message } of body.errors ?? []) console.error(`  ${path}: ${message}`);
    process.exit(1);
  }
  console.log(`Created tenant '${body.name}' (${body.displayName}) in region ${body.region}.`);
  console.log(`  card:   ${origin}/t/${body.name}`);
  console.log(`  admin:  ${body.admin.username} <${options["admin-email"]}>`);
  if (generated) console.log(`  password (shown once, store it now): ${password}`);
}

await main();
