// printid's burst rows, run by bench/printid-rows.sh against its running Worker (bench/README.md):
//   (d) 10 connections sign in as ONE user with the right password, under the default lockout policy: rule L
//       says concurrent correct sign-ins (a scan account shared by printers, apps that retry) are never
//       refused; every non-2xx answer is counted by status and code.
//   (e) GET /me on one connection during (d), next to the same just before, unloaded: a password burst must
//       not stall everything else (the hashes run on the isolate's only thread).
// Writes the figures as JSON to --out; the peers harness has no way to run two loads at once, hence
// autocannon here.
import autocannon from "autocannon";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    origin: { type: "string" },
    "operator-token": { type: "string" },
    me: { type: "string" }, // the path of a tenant's /me
    "access-token": { type: "string" },
    out: { type: "string" },
  },
});

const BURST = { connections: 10, seconds: 6 };
const PASSWORD = `Bench-${randomBytes(9).toString("base64url")}`;

/**
 * Sign-in is rate limited per CF-Connecting-IP and tenant (rule H): each sign-in comes from its own
 * address (10.x.y.z from a random start, as bench/peers/lib/bench.lua does), so (d) measures the lockout,
 * not the limiter.
 */
let address = randomBytes(3).readUIntBE(0, 3);
const freshIp = () => {
  address = (address + 1) % 2 ** 24;
  return `10.${address >> 16}.${(address >> 8) & 255}.${address & 255}`;
};

/** A tenant with the default settings (lockout 5 attempts / 900 s), whose admin the burst signs in as. */
async function burstTenant() {
  const name = `burst${randomBytes(3).toString("hex")}`;
  const response = await fetch(`${args.origin}/operator/tenants`, {
    method: "POST",
    headers: { authorization: `Bearer ${args["operator-token"]}`, "content-type": "application/json" },
    body: JSON.stringify({ name, displayName: "Bench burst", admin: { username: "scan", email: `scan@${name}.example`, password: PASSWORD } }),
  });
  if (!response.ok) throw new Error(`creating the burst tenant: ${response.status} ${await response.text()}`);
  return name;
}

/**
 * One bounded autocannon run of one request: latencies of the 2xx answers, every other answer counted by
 * status and problem+json `code`, and requests that got no answer.
 */
async function drive({ path, method = "GET", headers = {}, body, fromManyAddresses = false }, connections) {
  const latencies = [];
  const refusals = new Map();
  const count = (key, n = 1) => refusals.set(key, (refusals.get(key) ?? 0) + n);
  const run = autocannon({
    url: args.origin,
    connections,
    duration: BURST.seconds,
    requests: [{
      method, path, headers, body,
      ...(fromManyAddresses && { setupRequest: (request) => ({ ...request, headers: { ...request.headers, "cf-connecting-ip": freshIp() } }) }),
      onResponse: (status, responseBody) => {
        if (status < 300) return;
        let code = "";
        try { code = JSON.parse(responseBody).code ?? ""; } catch { /* not JSON */ }
        count(`${status} ${code}`.trim());
      },
    }],
  });
  run.on("response", (_client, status, _bytes, ms) => status < 300 && latencies.push(ms));
  const result = await run;
  if (result.errors + result.timeouts > 0) count("no answer (error or timeout)", result.errors + result.timeouts);
  return { latencies, refusals, seconds: result.duration };
}

function figures({ latencies, refusals, seconds }) {
  const sorted = latencies.toSorted((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
  const refused = [...refusals.values()].reduce((a, b) => a + b, 0);
  return { rps: sorted.length / seconds, p50: at(0.5), p99: at(0.99), ok: sorted.length, refused, refusals: Object.fromEntries(refusals) };
}

async function main() {
  const tenant = await burstTenant();
  const me = { path: args.me, headers: { authorization: `Bearer ${args["access-token"]}` } };
  const signIn = {
    path: `/t/${tenant}/sign-in`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: "scan", password: PASSWORD, clientId: "printid-mobile" }),
    fromManyAddresses: true,
  };
  const meUnloaded = await drive(me, 1);
  const [burst, meLoaded] = await Promise.all([drive(signIn, BURST.connections), drive(me, 1)]);
  const result = { ...BURST, burst: figures(burst), meUnloaded: figures(meUnloaded), meLoaded: figures(meLoaded) };
  writeFileSync(args.out, JSON.stringify(result, null, 2));
  const { ok, refused } = result.burst;
  console.error(`[printid burst] (d) ${ok} signed in, ${refused} refused; (e) GET /me p50 ${result.meLoaded.p50} ms during, ${result.meUnloaded.p50} ms before`);
}

main().catch((error) => {
  console.error(`printid burst failed: ${error.message}`);
  process.exitCode = 1;
});
