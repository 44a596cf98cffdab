// `npm run device:approve -- <code>`: what the printid app does after scanning a device's QR: signs a
// person in and approves (or denies) the device's user code. Run with --help for every option.
import { call, demoTenant, ENVIRONMENT_HELP, fail, origins, parseOptions, printProblem, signIn } from "./operator-api.mjs";

const usage = `Usage: npm run device:approve -- <user code> [options]

Signs a person in (POST /t/{tenant}/sign-in, as the app) and approves the device waiting with that user code
(POST /t/{tenant}/device/approve { userCode }), or denies it (POST /t/{tenant}/device/deny) with --deny;
prints the device that asked. The device (npm run device:try) is then signed in as that person.

  <user code>           the code the device shows (e.g. from npm run device:try)
  --region <eu|us>      default eu
  --tenant <name>       default demo (eu) or demo-us (us)
  --login <login>       who approves (default admin)
  --password <p>        default DEMO_ADMIN_PASSWORD (environment, else .dev.vars)
  --deny                refuse the device instead
  -h, --help            this text

${ENVIRONMENT_HELP}
  DEMO_ADMIN_PASSWORD              the demo admin's password (default: that of .dev.vars)`;

async function main() {
  const options = parseOptions(
    usage,
    {
      region: { type: "string", default: "eu" },
      tenant: { type: "string" },
      login: { type: "string", default: "admin" },
      password: { type: "string" },
      deny: { type: "boolean", default: false },
    },
    [],
    { allowPositionals: true },
  );
  if (options.positionals.length !== 1) fail(`Give exactly one user code.\n\n${usage}`);
  const userCode = options.positionals[0].trim();
  const origin = origins[options.region];
  const tenant = options.tenant ?? demoTenant(options.region);
  const action = options.deny ? "deny" : "approve";

  const token = await signIn(origin, tenant, options.login, options.password);
  const { status, body } = await call(origin, `/t/${encodeURIComponent(tenant)}/device/${action}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    json: { userCode },
  });
  if (status !== 200) {
    printProblem(`Could not ${action} ${userCode}`, status, body);
    process.exit(1);
  }
  const device = body.name ? `the ${body.kind ?? "device"} '${body.name}'` : "the device";
  console.log(
    options.deny
      ? `Denied: ${device} (code ${userCode}) is not signed in; it is told access_denied.`
      : `Approved: ${device} (code ${userCode}) is signed in as '${options.login}' of ${tenant}.`,
  );
}

await main();
