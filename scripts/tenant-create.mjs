// `npm run tenant:create -- --region eu --name acme --admin-email a@acme.example`: creates a tenant and
// its first admin through the operator API of one region. Run with --help for every option.
import { randomBytes } from "node:crypto";
import { ENVIRONMENT_HELP, origins, parseOptions, postOperator, printProblem } from "./operator-api.mjs";

const usage = `Usage: npm run tenant:create -- --region <eu|us> --name <name> --admin-email <email> [options]

Creates a tenant in one region, with its first admin, through POST /operator/tenants.

  --region <eu|us>        the tenant's home region (required)
  --name <name>           the tenant name: 3-63 of a-z, 0-9 and - (required)
  --admin-email <email>   the first admin's e-mail address (required)
  --admin-username <u>    the first admin's username (default: admin)
  --admin-password <p>    8-256 characters (default: a generated one, printed once)
  --display-name <text>   the name people see (default: the tenant name)
  --shard <n>             the region's shard to put it on (default: the one with the most room)
  --allow-registration    let people register themselves
  --new-users-active      registered users can sign in at once, without an admin's approval
  -h, --help              this text

${ENVIRONMENT_HELP}`;

async function main() {
  const options = parseOptions(
    usage,
    {
      region: { type: "string" },
      name: { type: "string" },
      "admin-email": { type: "string" },
      "admin-username": { type: "string", default: "admin" },
      "admin-password": { type: "string" },
      "display-name": { type: "string" },
      shard: { type: "string" },
      "allow-registration": { type: "boolean", default: false },
      "new-users-active": { type: "boolean", default: false },
    },
    ["region", "name", "admin-email"],
  );
  const generated = options["admin-password"] === undefined;
  const password = options["admin-password"] ?? randomBytes(18).toString("base64url");
  const origin = origins[options.region];
  const { status, body } = await postOperator(origin, "/operator/tenants", {
    name: options.name,
    ...(options.shard === undefined ? {} : { shard: Number(options.shard) }),
    displayName: options["display-name"] ?? options.name,
    settings: { allowRegistration: options["allow-registration"], newUsersActiveByDefault: options["new-users-active"] },
    admin: { username: options["admin-username"], email: options["admin-email"], password },
  });

  if (status !== 201) {
    printProblem("Not created", status, body);
    process.exit(1);
  }
  console.log(`Created tenant '${body.name}' (${body.displayName}) in region ${body.region}, shard ${body.shard}.`);
  console.log(`  card:   ${origin}/t/${body.name}`);
  console.log(`  admin:  ${body.admin.username} <${options["admin-email"]}>`);
  if (generated) console.log(`  password (shown once, store it now): ${password}`);
}

await main();
