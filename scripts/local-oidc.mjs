// Local stand-ins for Apple, Google and Microsoft, for `npm run dev` (scripts/dev.mjs starts them, in its own
// process): one oauth2-mock-server per provider on 127.0.0.1, fixed ports, issuer http://127.0.0.1:<port>.
// Their /authorize signs a made-up person in at once (no login page) and redirects back with a code; their
// tokens carry plausible claims for that person. The Worker is pointed at them with --var (providerVars).
//
// Who signs in: "dev.user" (dev.user@<provider>.example, Dev User) unless the authorization request carries
// `login_hint` (`npm run oauth:try -- --user jane.doe` adds it): a name gives <name>@<provider>.example, an
// address is taken as it is; first and last name come from the local part (jane.doe → Jane Doe), unless
// the request also says `names=none` (--no-names), and then the account is created as Guest_…. Each person
// has a stable subject, so the second sign-in finds the identity the first one registered.
import { createHash } from "node:crypto";
import { OAuth2Server } from "oauth2-mock-server";

/** The three local providers, with the web and native client ids the dev Workers are configured with. */
export const localProviders = [
  { name: "apple", label: "Apple", port: 8791, clientId: "com.printid.dev.web", nativeClientIds: ["com.printid.dev.app"] },
  { name: "google", label: "Google", port: 8792, clientId: "google-dev-client", nativeClientIds: ["google-dev-ios-client", "google-dev-android-client"] },
  { name: "microsoft", label: "Microsoft", port: 8793, clientId: "microsoft-dev-client", nativeClientIds: ["microsoft-dev-native-client"] },
].map((provider) => ({ ...provider, issuer: `http://127.0.0.1:${provider.port}` }));

/** The Entra directory (`tid`) of every local Microsoft account: a work one. */
const DEV_WORK_TID = "00000000-0000-4000-8000-00000000d0e5";

/** The Worker vars pointing one provider at its local server (secrets come from .dev.vars). */
export function providerVars(provider) {
  const prefix = provider.name.toUpperCase();
  return {
    [`${prefix}_CLIENT_ID`]: provider.clientId,
    [`${prefix}_NATIVE_CLIENT_IDS`]: provider.nativeClientIds.join(","),
    [`${prefix}_ISSUER`]: provider.issuer,
    [`${prefix}_AUTHORIZATION_ENDPOINT`]: `${provider.issuer}/authorize`,
    [`${prefix}_TOKEN_ENDPOINT`]: `${provider.issuer}/token`,
    [`${prefix}_JWKS_URI`]: `${provider.issuer}/jwks`,
  };
}

const capitalize = (word) => word.charAt(0).toUpperCase() + word.slice(1);

/** The made-up person behind a login hint, as this provider's ID token describes them. */
export function devPerson(providerName, { hint, withNames = true } = {}) {
  const login = hint?.trim().toLowerCase() || "dev.user";
  const email = login.includes("@") ? login : `${login}@${providerName}.example`;
  const [first, last] = email.split("@")[0].split(/[._-]+/).filter(Boolean).map(capitalize);
  const names = withNames ? { given_name: first, family_name: last } : {};
  const digest = createHash("sha256").update(`${providerName}:${email}`).digest("hex");
  const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-8${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  switch (providerName) {
    case "apple":
      // Apple's ID token has no names (they come once, in the form_post `user` field) and a string flag.
      return { sub: `000${digest.slice(0, 3)}.${digest.slice(3, 35)}.0${digest.slice(35, 38)}`, email, email_verified: "true" };
    case "google":
      return {
        sub: BigInt(`0x${digest.slice(0, 16)}`).toString().padStart(21, "1"),
        email,
        email_verified: true,
        ...names,
        ...(names.given_name ? { name: [names.given_name, names.family_name].filter(Boolean).join(" ") } : {}),
      };
    case "microsoft":
      return { sub: digest.slice(0, 43), tid: DEV_WORK_TID, oid: uuid, email, preferred_username: email, ...names };
    default:
      throw new Error(`unknown provider ${providerName}`);
  }
}

/** Starts the three servers; resolves to a stop function. A busy port is an error naming it. */
export async function startLocalOidc(log = console.log) {
  const started = [];
  const stop = () => Promise.all(started.map((server) => server.stop().catch(() => {})));
  try {
    for (const provider of localProviders) {
      const server = new OAuth2Server();
      await server.issuer.keys.generate("RS256");
      const people = new Map();
      server.service.on("beforeAuthorizeRedirect", ({ url }, req) => {
        const code = url.searchParams.get("code");
        const hint = typeof req.query.login_hint === "string" ? req.query.login_hint : undefined;
        if (code) people.set(code, { hint, withNames: req.query.names !== "none" });
      });
      // The access token and the ID token of one exchange describe the same person.
      server.service.on("beforeTokenSigning", (token, req) => {
        const code = req.body.code;
        if (code === undefined) return;
        Object.assign(token.payload, devPerson(provider.name, people.get(code)));
      });
      server.service.on("beforeResponse", (_response, req) => {
        if (req.body.grant_type === "authorization_code") people.delete(req.body.code);
      });
      try {
        await server.start(provider.port, "127.0.0.1");
      } catch (error) {
        if (error.code === "EADDRINUSE") {
          throw new Error(`Port ${provider.port} (the local ${provider.label} sign-in) is in use: is another 'npm run dev' running?`);
        }
        throw error;
      }
      server.issuer.url = provider.issuer;
      started.push(server);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  log(`Local Apple, Google and Microsoft sign-in on ${localProviders.map((p) => `:${p.port}`).join(", ")}.`);
  return stop;
}
