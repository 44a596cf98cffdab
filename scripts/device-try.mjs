// `npm run device:try`: plays a printer signing in with the device authorization grant (RFC 8628) against
// the running `npm run dev`: registers the device once (as the demo admin), shows the QR and the user code,
// polls /token until a person approves it (`npm run device:approve -- <code>`, or the page), then prints who
// is signed in. Run with --help for every option.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import QRCode from "qrcode";
import { call, demoTenant, ENVIRONMENT_HELP, fail, origins, parseOptions, printProblem, signIn } from "./operator-api.mjs";

const STATE_FILE = join(dirname(fileURLToPath(import.meta.url)), "..", ".wrangler", "device-try.json");
const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

const usage = `Usage: npm run device:try -- [options]

Plays a printer: POST /t/{tenant}/device/authorize, prints the QR of verification_uri_complete and the user
code, polls POST /t/{tenant}/token (grant_type=${DEVICE_CODE_GRANT}) at the interval the
server asks for until the code is approved, denied or expired, then prints the signed-in person (the ID
token's claims and /userinfo). Approve it from another terminal with
  npm run device:approve -- <user code>
or by opening the printed URL.

The first run registers the device through the admin API (POST /t/{tenant}/admin/devices, signed in as the
tenant's admin) and keeps its id and secret in .wrangler/device-try.json (git-ignored); later runs reuse it.

  --region <eu|us>      default eu
  --tenant <name>       default demo (eu) or demo-us (us)
  --name <text>         the device's name (default "Printer 2F"); another name registers another device
  --scope <scopes>      default "openid profile" (the ID token then names the person)
  --new                 register a fresh device even if one is kept for this name
  --admin-login <l>     who registers the device (default admin)
  --admin-password <p>  default DEMO_ADMIN_PASSWORD (environment, else .dev.vars)
  -h, --help            this text

${ENVIRONMENT_HELP}
  DEMO_ADMIN_PASSWORD              the demo admin's password (default: that of .dev.vars)`;

const readState = () => {
  try {
    return JSON.parse(readFileSync(STATE_FILE, "utf8"));
  } catch {
    return {};
  }
};

function keep(key, device) {
  const state = readState();
  if (device) state[key] = device;
  else delete state[key];
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Registers a printer named `name` as the tenant's admin: its id and client secret. */
async function register(origin, tenant, options) {
  const token = await signIn(origin, tenant, options["admin-login"], options["admin-password"]);
  const { status, body } = await call(origin, `/t/${encodeURIComponent(tenant)}/admin/devices`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    json: { name: options.name, kind: "printer" },
  });
  if (status !== 201 || !body.id || !body.clientSecret) {
    printProblem(`Registering the device '${options.name}' refused`, status, body);
    process.exit(1);
  }
  console.log(`Registered the ${body.kind} '${body.name}' (client id ${body.id}) in ${tenant}; kept in .wrangler/device-try.json.`);
  return { id: body.id, secret: body.clientSecret, name: body.name, kind: body.kind, createdAt: body.createdAt };
}

/** HTTP Basic as RFC 6749 §2.3.1 has it: id and secret form-urlencoded, then base64. */
const basic = ({ id, secret }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

/** The claims of a JWT, unverified (the script only shows them: the token came straight from the server over its own connection). */
function claimsOf(jwt) {
  try {
    return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

async function qr(text) {
  // Half-block characters with colours on a terminal; plain blocks when piped to a file.
  const type = process.stdout.isTTY ? "terminal" : "utf8";
  return QRCode.toString(text, { type, small: true, errorCorrectionLevel: "L" });
}

async function main() {
  const options = parseOptions(usage, {
    region: { type: "string", default: "eu" },
    tenant: { type: "string" },
    name: { type: "string", default: "Printer 2F" },
    scope: { type: "string", default: "openid profile" },
    new: { type: "boolean", default: false },
    "admin-login": { type: "string", default: "admin" },
    "admin-password": { type: "string" },
  }, []);
  const origin = origins[options.region];
  const tenant = options.tenant ?? demoTenant(options.region);
  const base = `/t/${encodeURIComponent(tenant)}`;
  const key = `${origin} ${tenant} ${options.name}`;

  // The kept device, or a new one; a kept one the server no longer knows (a fresh database, a revoked
  // device) is registered again, once.
  let device = options.new ? undefined : readState()[key];
  const reused = Boolean(device);
  if (reused) console.log(`Device '${options.name}' (client id ${device.id}), kept in .wrangler/device-try.json.`);
  device ??= await register(origin, tenant, options);
  keep(key, device);

  let authorization = await call(origin, `${base}/device/authorize`, {
    method: "POST",
    headers: { authorization: basic(device) },
    form: { scope: options.scope },
  });
  if (authorization.status === 401 && reused) {
    console.log(`The kept device is refused (${authorization.body.error ?? authorization.status}): registering it again.`);
    device = await register(origin, tenant, options);
    keep(key, device);
    authorization = await call(origin, `${base}/device/authorize`, {
      method: "POST",
      headers: { authorization: basic(device) },
      form: { scope: options.scope },
    });
  }
  const { status, body: grant } = authorization;
  if (status !== 200 || !grant.device_code) {
    printProblem("Device authorization refused", status, grant);
    process.exit(1);
  }

  const link = grant.verification_uri_complete ?? grant.verification_uri;
  console.log(`\nScan with the printid app (or open the link):\n`);
  console.log(await qr(link));
  console.log(`  Code:  ${grant.user_code}`);
  console.log(`  Link:  ${link}`);
  console.log(`  Or go to ${grant.verification_uri} and type the code.`);
  console.log(`\n  Approve from another terminal:  npm run device:approve -- ${grant.user_code}${options.region === "eu" ? "" : ` --region ${options.region}`}${options.tenant ? ` --tenant ${tenant}` : ""}`);
  const expiresIn = Number(grant.expires_in) || 120;
  let interval = Number(grant.interval) || 5;
  console.log(`\nWaiting (the code expires in ${expiresIn} s; polling every ${interval} s)…`);

  const deadline = Date.now() + expiresIn * 1000;
  let tokens;
  for (;;) {
    // The last poll may fall just after the deadline: the server then answers expired_token itself.
    if (Date.now() > deadline + interval * 1000) fail(`\nThe code expired after ${expiresIn} s without an answer: run npm run device:try again.`);
    await sleep(interval * 1000);
    const { status, body } = await call(origin, `${base}/token`, {
      method: "POST",
      headers: { authorization: basic(device) },
      form: { grant_type: DEVICE_CODE_GRANT, device_code: grant.device_code },
    });
    if (status === 200 && body.access_token) {
      tokens = body;
      break;
    }
    const error = body.error;
    if (error === "authorization_pending") {
      process.stdout.write(".");
    } else if (error === "slow_down") {
      interval += 5;
      console.log(`\nslow_down: polling every ${interval} s now.`);
    } else if (error === "access_denied") {
      fail("\nDenied: the person refused this device's sign-in (access_denied).");
    } else if (error === "expired_token") {
      fail("\nThe code expired (expired_token): run npm run device:try again.");
    } else {
      console.log();
      printProblem("Polling /token refused", status, body);
      process.exit(1);
    }
  }

  console.log(`\n\nApproved: the printer is signed in (token_type ${tokens.token_type ?? "?"}, expires in ${tokens.expires_in ?? "?"} s, scope ${tokens.scope ?? options.scope}${tokens.refresh_token ? ", with a refresh token" : ""}).`);
  const claims = tokens.id_token && claimsOf(tokens.id_token);
  if (claims) {
    console.log("\nID token claims:");
    console.log(JSON.stringify(claims, null, 2));
  }
  const userinfo = await call(origin, `${base}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  if (userinfo.status === 200) {
    console.log(`\nGET ${origin}${base}/userinfo:`);
    console.log(JSON.stringify(userinfo.body, null, 2));
  } else {
    printProblem("/userinfo refused the device's access token", userinfo.status, userinfo.body);
  }
}

await main();
