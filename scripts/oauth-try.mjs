// `npm run oauth:try -- --provider google`: one "Sign in with …" redirect flow against the running
// `npm run dev`, as the app and a browser do it, printing each hop and then the signed-in user.
// Run with --help for every option.
import { createHash, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { namesOf } from "./stand-in-people.mjs";

const usage = `Usage: npm run oauth:try -- --provider <apple|google|microsoft> [options]

Drives the whole browser sign-in against the running 'npm run dev' and its local stand-in for the provider
(no Internet): GET /t/{tenant}/oauth/{provider}/authorize → the stand-in's /authorize → the Worker's
callback → the app's redirect with a code → POST /t/{tenant}/token → GET /t/{tenant}/me, printed.
A provider configured in .dev.vars (yours) shows a login page instead: the script prints the URL to open.

  --provider <name>   apple, google or microsoft (required)
  --region <eu|us>    default eu
  --tenant <name>     default demo (eu) or demo-us (us)
  --account <kind>    work or personal (default work); Microsoft personal: the consumers directory
  --user <login>      who signs in at the provider: a name (jane.doe → jane.doe@<provider>.example, Jane Doe;
                      a Microsoft personal account: jane.doe@outlook.example) or an e-mail address;
                      default dev.user. The same login is the same identity next time.
                      An address of an existing account (admin@demo.example) shows rule X refusing it.
  --no-names          the provider gives no first or last name: a new account is created as Guest_…
                      (default --user guest)
  -h, --help          this text

Environment: PRINTID_EU_URL, PRINTID_US_URL (default http://127.0.0.1:8787, :8788).`;

const CLIENT_ID = "printid-mobile";
const REDIRECT_URI = "dev.printid.app:/oauth/callback";

function fail(message) {
  console.error(message);
  process.exit(1);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        provider: { type: "string" },
        region: { type: "string", default: "eu" },
        tenant: { type: "string" },
        account: { type: "string", default: "work" },
        user: { type: "string" },
        "no-names": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    fail(`${error.message}\nRun with --help for the options.`);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (!["apple", "google", "microsoft"].includes(values.provider)) fail(`--provider must be apple, google or microsoft.\n\n${usage}`);
  if (!["eu", "us"].includes(values.region)) fail("--region must be eu or us.");
  if (!["work", "personal"].includes(values.account)) fail("--account must be work or personal.");
  const origin = { eu: process.env.PRINTID_EU_URL ?? "http://127.0.0.1:8787", us: process.env.PRINTID_US_URL ?? "http://127.0.0.1:8788" }[values.region];
  return { ...values, origin, tenant: values.tenant ?? (values.region === "eu" ? "demo" : "demo-us") };
}

const show = (url) => (url.length > 150 ? `${url.slice(0, 147)}...` : url);

async function request(step, url, init = {}) {
  let response;
  try {
    response = await fetch(url, { redirect: "manual", ...init });
  } catch (error) {
    fail(`${step}: ${url} did not answer (${error.cause?.code ?? error.message}). Is 'npm run dev' running?`);
  }
  return response;
}

/** A 302's Location, or the answer's body as the reason there is none. */
async function redirectOf(step, response) {
  const location = response.headers.get("location");
  if (response.status === 302 && location) return location;
  fail(`${step}: expected a 302, got ${response.status}\n${await response.text()}`);
}

async function main() {
  const opts = options();
  const verifier = randomBytes(32).toString("base64url");
  const appState = randomBytes(8).toString("hex");
  const authorize = new URL(`${opts.origin}/t/${opts.tenant}/oauth/${opts.provider}/authorize`);
  authorize.search = new URLSearchParams({
    account: opts.account,
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    state: appState,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  }).toString();

  console.log(`1. app → ${show(authorize.href)}`);
  const toProvider = new URL(await redirectOf("authorize", await request("authorize", authorize)));
  // The stand-in signs in whoever the login hint names, as the account kind asked for where the Worker's
  // endpoint does not name a directory (scripts/stand-in-providers.mjs).
  const asTheWorkerSentIt = toProvider.href;
  const user = opts.user ?? (opts["no-names"] ? "guest" : "dev.user");
  toProvider.searchParams.set("login_hint", user);
  if (opts["no-names"]) toProvider.searchParams.set("names", "none");
  toProvider.searchParams.set("account", opts.account);
  console.log(`2. browser → ${show(toProvider.href)}`);
  // A provider configured in .dev.vars (yours) has a login page, or is out of reach without Internet.
  const atProvider = await fetch(toProvider, { redirect: "manual" }).catch((error) => error);
  if (atProvider instanceof Error || atProvider.status !== 302) {
    const answer = atProvider instanceof Error ? `did not answer (${atProvider.cause?.code ?? atProvider.message})` : `answered ${atProvider.status}`;
    fail(
      `\n${toProvider.host} ${answer}: not a local stand-in, which would redirect at once (the banner of 'npm run dev' ` +
        `says which providers are yours).\nFinish this sign-in in a browser:\n  ${asTheWorkerSentIt}\n` +
        `It ends at ${REDIRECT_URI}?code=…; redeem that code at POST ${opts.origin}/t/${opts.tenant}/token with ` +
        `code_verifier ${verifier}.`,
    );
  }
  const toCallback = new URL(await redirectOf("provider", atProvider));

  let answer;
  if (opts.provider === "apple") {
    // Apple answers with a form POST (response_mode=form_post), with the user's name on the first
    // authorization only: sent every time here, as if each were the first.
    const form = new URLSearchParams(toCallback.searchParams);
    if (!opts["no-names"]) {
      const { first, last } = namesOf(user);
      form.set("user", JSON.stringify({ name: { firstName: first ?? "", lastName: last ?? "" } }));
    }
    const target = `${toCallback.origin}${toCallback.pathname}`;
    console.log(`3. browser → POST ${target} (form_post: code, state${form.has("user") ? ", user" : ""})`);
    answer = await request("callback", target, { method: "POST", body: form });
  } else {
    console.log(`3. browser → ${show(toCallback.href)}`);
    answer = await request("callback", toCallback);
  }
  const toApp = new URL(await redirectOf("callback", answer));
  console.log(`4. app ← ${show(toApp.href)}`);
  if (toApp.searchParams.get("state") !== appState) fail("The app's state did not come back: refusing the answer.");
  const error = toApp.searchParams.get("error");
  if (error) fail(`\nSign-in refused: ${error} (${toApp.searchParams.get("error_description") ?? ""})`);

  const tokenUrl = `${opts.origin}/t/${opts.tenant}/token`;
  console.log(`5. app → POST ${tokenUrl} (grant_type=authorization_code, code, code_verifier)`);
  const tokenResponse = await request("token", tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: toApp.searchParams.get("code"),
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT_ID,
      code_verifier: verifier,
    }),
  });
  const tokens = await tokenResponse.json();
  if (tokenResponse.status !== 200) fail(`token: ${tokenResponse.status}\n${JSON.stringify(tokens, null, 2)}`);

  const me = await request("me", `${opts.origin}/t/${opts.tenant}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  console.log(`6. app → GET ${opts.origin}/t/${opts.tenant}/me\n`);
  console.log(JSON.stringify(await me.json(), null, 2));
}

await main();
