// `npm run tenant:move -- --name acme --to-shard 2`: moves a tenant to another shard of its region through
// the operator API, one bounded step per call, until it is done (src/tenants/move.ts). Safe to stop and
// run again: every step starts from where the move stands. Run with --help for every option.
import { setTimeout as sleep } from "node:timers/promises";
import { ENVIRONMENT_HELP, origins, parseOptions, postOperator, printProblem } from "./operator-api.mjs";

const usage = `Usage: npm run tenant:move -- --name <name> --to-shard <n> [--region <eu|us>] [options]

Moves a tenant to another D1 database (shard) of its region without losing a row. The tenant is
read-only from the first step until its copy is live: sign-ins and other writes answer 503 with
Retry-After meanwhile, reads go on. Moving it to the shard it is on calls off a move under way.

  --name <name>            the tenant (required)
  --to-shard <n>           the shard to move it to: 1 = DB, n = DB_n in wrangler.toml (required)
  --region <eu|us>         the tenant's region (default: eu)
  --drain-seconds <s>      how long requests begun before the tenant became read-only may still
                           write before the copy starts (default: 30; the same on every run)
  -h, --help               this text

${ENVIRONMENT_HELP}`;

/** Answers worth another try: the region's database or the rate limit said "later". */
const TRANSIENT = new Set([429, 503]);
const MAX_TRANSIENT_RETRIES = 10;

async function main() {
  const options = parseOptions(
    usage,
    {
      name: { type: "string" },
      "to-shard": { type: "string" },
      region: { type: "string", default: "eu" },
      "drain-seconds": { type: "string", default: "30" },
    },
    ["name", "to-shard"],
  );
  const origin = origins[options.region];
  const request = { toShard: Number(options["to-shard"]), drainSeconds: Number(options["drain-seconds"]) };
  const started = Date.now();
  const copied = new Map();
  let retries = 0;
  for (;;) {
    const { status, headers, body } = await postOperator(origin, `/operator/tenants/${encodeURIComponent(options.name)}/move`, request);
    if (TRANSIENT.has(status) && retries < MAX_TRANSIENT_RETRIES) {
      retries++;
      await sleep(Number(headers.get("retry-after") ?? 5) * 1000);
      continue;
    }
    if (status !== 200) {
      printProblem("Move stopped", status, body);
      console.error("Nothing is lost: run the same command again to go on from here.");
      process.exit(1);
    }
    retries = 0;
    switch (body.phase) {
      case "draining":
        console.log(`Tenant '${body.name}' is read-only on shard ${body.fromShard}; waiting ${body.waitSeconds} s for requests under way.`);
        await sleep(body.waitSeconds * 1000);
        break;
      case "copying":
        copied.set(body.table, (copied.get(body.table) ?? 0) + body.copied);
        process.stdout.write(`\r  copying ${body.table}: ${copied.get(body.table)} rows`.padEnd(60));
        break;
      case "switched":
        console.log(`\nTenant '${body.name}' now lives on shard ${body.toShard} and is writable again.`);
        break;
      case "abandoned":
        console.log(`The move under way was called off: tenant '${body.name}' stays on shard ${body.fromShard}, writable again.`);
        break;
      case "purging":
        process.stdout.write(`\r  removing what is left on shard ${body.shard}: ${body.deleted} rows this step`.padEnd(60));
        break;
      case "done": {
        const rows = [...copied.values()].reduce((sum, n) => sum + n, 0);
        console.log(`\nDone: tenant '${body.name}' is on shard ${body.toShard} (${rows} rows copied, ${((Date.now() - started) / 1000).toFixed(1)} s).`);
        return;
      }
      default:
        fail(`Unexpected answer: ${JSON.stringify(body)}`);
    }
  }
}

await main();
