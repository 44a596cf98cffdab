// Local stand-ins for Apple, Google and Microsoft, for `npm run dev` (scripts/dev.mjs starts the ones that
// .dev.vars does not configure, in its own process): one oauth2-mock-server per provider on 127.0.0.1,
// fixed ports. Their /authorize signs a made-up person in at once (no login page) and redirects back with a
// code; their tokens carry plausible claims for that person. The Worker is pointed at them with --var
// (providerVars).
//
// Who signs in: "dev.user" (dev.user@<provider>.example, Dev User) unless the authorization request carries
// `login_hint` (`npm run oauth:try -- --user jane.doe` adds it): a name gives <name>@<provider>.example, an
// address is taken as it is; first and last name come from the local part (jane.doe → Jane Doe), unless
// the request also says `names=none` (--no-names), and then the account is created as Guest_…. Each person
// has a stable subject, so the second sign-in finds the identity the first one registered.
//
// Microsoft is laid out like login.microsoftonline.com: /{directory}/oauth2/v2.0/authorize and /token,
// /{directory}/discovery/v2.0/keys, /{directory}/v2.0/.well-known/openid-configuration, and the issuer
// /{tid}/v2.0. The directory in the path decides the account: `consumers` signs a PERSONAL ACCOUNT in
// (tid 9188040d-…, the consumers directory, e-mail <name>@outlook.example), `organizations` a WORK ACCOUNT
// (a work directory's tid, `xms_edov: true`: the directory verified the address), a directory GUID an
// account of that directory. Where the path names no directory (`common`, or a `{tenant}` the Worker did
// not fill in), the request's `account=personal` (added by `npm run oauth:try -- --account personal`)
// makes it personal; otherwise it is a work account.
import { createHash } from "node:crypto";
import { HttpServer, OAuth2Issuer, OAuth2Service } from "oauth2-mock-server";

/** The three local providers, with the web and native client ids the dev Workers are configured with. */
export const localProviders = [
  { name: "apple", label: "Apple", port: 8791, clientId: "com.printid.dev.web", nativeClientIds: ["com.printid.dev.app"] },
  { name: "google", label: "Google", port: 8792, clientId: "google-dev-client", nativeClientIds: ["google-dev-ios-client", "google-dev-android-client"] },
  { name: "microsoft", label: "Microsoft", port: 8793, clientId: "microsoft-dev-client", nativeClientIds: ["microsoft-dev-native-client"] },
].map((provider) => ({ ...provider, issuer: `http://127.0.0.1:${provider.port}` }));

/** The directory (`tid`) of every personal Microsoft account, as Microsoft issues it. */
export const CONSUMERS_TID = "9188040d-6c67-4c5b-b112-36a304b66dad";
/** The work directory of the local Microsoft work accounts (unless the path names another directory). */
const DEV_WORK_TID = "00000000-0000-4000-8000-00000000d0e5";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Worker vars pointing one provider at its local server (secrets come from .dev.vars). Microsoft's
 * endpoints carry `{tenant}` where login.microsoftonline.com has the directory, for the Worker to fill in
 * per account kind (MICROSOFT_WORK_TENANT / MICROSOFT_PERSONAL_TENANT); its issuer carries `{tenantid}`,
 * which the Worker replaces with the token's `tid`.
 */
export function providerVars(provider) {
  const prefix = provider.name.toUpperCase();
  const ids = {
    [`${prefix}_CLIENT_ID`]: provider.clientId,
    [`${prefix}_NATIVE_CLIENT_IDS`]: provider.nativeClientIds.join(","),
  };
  if (provider.name === "microsoft") {
    return {
      ...ids,
      MICROSOFT_ISSUER: `${provider.issuer}/{tenantid}/v2.0`,
      MICROSOFT_AUTHORIZATION_ENDPOINT: `${provider.issuer}/{tenant}/oauth2/v2.0/authorize`,
      MICROSOFT_TOKEN_ENDPOINT: `${provider.issuer}/{tenant}/oauth2/v2.0/token`,
      MICROSOFT_JWKS_URI: `${provider.issuer}/{tenant}/discovery/v2.0/keys`,
    };
  }
  return {
    ...ids,
    [`${prefix}_ISSUER`]: provider.issuer,
    [`${prefix}_AUTHORIZATION_ENDPOINT`]: `${provider.issuer}/authorize`,
    [`${prefix}_TOKEN_ENDPOINT`]: `${provider.issuer}/token`,
    [`${prefix}_JWKS_URI`]: `${provider.issuer}/jwks`,
  };
}

const capitalize = (word) => word.charAt(0).toUpperCase() + word.slice(1);
const digestOf = (text) => createHash("sha256").update(text).digest("hex");
/** A GUID from hex digits: the version-4 shape. */
const guidOf = (hex) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;

/**
 * The made-up person behind a login hint, as this provider's ID token describes them. For Microsoft,
 * `directory` is the account's: { kind: "work" | "personal", tid? }.
 */
export function devPerson(providerName, { hint, withNames = true, directory = { kind: "work" } } = {}) {
  const personal = providerName === "microsoft" && directory.kind === "personal";
  const login = hint?.trim().toLowerCase() || "dev.user";
  const email = login.includes("@") ? login : `${login}@${personal ? "outlook" : providerName}.example`;
  const [first, last] = email.split("@")[0].split(/[._-]+/).filter(Boolean).map(capitalize);
  const names = withNames ? { given_name: first, family_name: last } : {};
  const digest = digestOf(`${providerName}:${personal ? "personal:" : ""}${email}`);
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
      if (personal) {
        // A personal account's oid has the shape Microsoft gives them: 00000000-0000-0000-xxxx-xxxxxxxxxxxx.
        const oid = `00000000-0000-0000-${digest.slice(0, 4)}-${digest.slice(4, 16)}`;
        return { sub: digest.slice(0, 43), tid: CONSUMERS_TID, oid, email, preferred_username: email, ...names };
      }
      // A work account: the directory says it verified the address's domain (xms_edov), as Entra does when
      // the app asks for that optional claim; without it the Worker keeps no address from a work directory.
      return {
        sub: digest.slice(0, 43),
        tid: directory.tid ?? DEV_WORK_TID,
        oid: guidOf(digest),
        email,
        preferred_username: email,
        xms_edov: true,
        ...names,
      };
    default:
      throw new Error(`unknown provider ${providerName}`);
  }
}

/** Microsoft's per-directory paths, mapped to the library's endpoints. */
const MICROSOFT_PATH = /^\/([^/]+)\/(oauth2\/v2\.0\/authorize|oauth2\/v2\.0\/token|discovery\/v2\.0\/keys|v2\.0\/\.well-known\/openid-configuration)$/;
const LIBRARY_PATH = {
  "oauth2/v2.0/authorize": "/authorize",
  "oauth2/v2.0/token": "/token",
  "discovery/v2.0/keys": "/jwks",
};

/** The account a Microsoft directory path signs in: null when the path names none (`common`, `{tenant}`). */
function directoryAccount(directory) {
  if (directory === "consumers") return { kind: "personal" };
  if (directory === "organizations") return { kind: "work" };
  if (GUID.test(directory)) {
    const tid = directory.toLowerCase();
    return tid === CONSUMERS_TID ? { kind: "personal" } : { kind: "work", tid };
  }
  return null;
}

/** Microsoft's discovery document for one directory, as login.microsoftonline.com shapes it. */
function microsoftDiscovery(issuer, directory) {
  const base = `${issuer}/${directory}`;
  const account = directoryAccount(directory);
  const tid = account?.kind === "personal" ? CONSUMERS_TID : (account?.tid ?? "{tenantid}");
  return {
    issuer: `${issuer}/${tid}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    token_endpoint: `${base}/oauth2/v2.0/token`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_types_supported: ["code", "id_token", "code id_token"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "nonce", "tid", "oid", "email", "preferred_username", "given_name", "family_name", "xms_edov"],
  };
}

/** One stand-in: the library's request handler, behind Microsoft's path layout for Microsoft. */
async function standIn(provider) {
  const issuer = new OAuth2Issuer();
  issuer.url = provider.issuer;
  await issuer.keys.generate("RS256");
  const service = new OAuth2Service(issuer);
  const people = new Map();

  service.on("beforeAuthorizeRedirect", ({ url }, req) => {
    const code = url.searchParams.get("code");
    if (!code) return;
    const hint = typeof req.query.login_hint === "string" ? req.query.login_hint : undefined;
    const directory = req.directory ?? { kind: req.query.account === "personal" ? "personal" : "work" };
    people.set(code, { hint, withNames: req.query.names !== "none", directory });
  });
  // The access token and the ID token of one exchange describe the same person.
  service.on("beforeTokenSigning", (token, req) => {
    const code = req.body.code;
    if (code === undefined) return;
    const person = devPerson(provider.name, people.get(code));
    Object.assign(token.payload, person);
    // Microsoft's issuer names the token's directory.
    if (provider.name === "microsoft") token.payload.iss = `${provider.issuer}/${person.tid}/v2.0`;
  });
  service.on("beforeResponse", (_response, req) => {
    if (req.body.grant_type === "authorization_code") people.delete(req.body.code);
  });

  const handler = service.requestHandler;
  const listener =
    provider.name !== "microsoft"
      ? handler
      : (req, res) => {
          const url = new URL(req.url, provider.issuer);
          const match = url.pathname.match(MICROSOFT_PATH);
          if (!match) return handler(req, res);
          let directory;
          try {
            directory = decodeURIComponent(match[1]);
          } catch {
            directory = match[1];
          }
          if (match[2].endsWith("openid-configuration")) {
            res.writeHead(200, { "content-type": "application/json" });
            return res.end(JSON.stringify(microsoftDiscovery(provider.issuer, directory)));
          }
          const account = directoryAccount(directory);
          if (account) req.directory = account;
          req.url = LIBRARY_PATH[match[2]] + url.search;
          return handler(req, res);
        };
  return new HttpServer(listener);
}

/** Starts the stand-ins of `providers` (default: all three); resolves to a stop function. A busy port is an error naming it. */
export async function startLocalOidc(providers = localProviders, log = console.log) {
  const started = [];
  const stop = () => Promise.all(started.map((server) => server.stop().catch(() => {})));
  try {
    for (const provider of providers) {
      const server = await standIn(provider);
      try {
        await server.start(provider.port, "127.0.0.1");
      } catch (error) {
        if (error.code === "EADDRINUSE") {
          throw new Error(`Port ${provider.port} (the local ${provider.label} sign-in) is in use: is another 'npm run dev' running?`);
        }
        throw error;
      }
      started.push(server);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  if (providers.length > 0) {
    const labels = providers.map((p) => p.label);
    const list = labels.length > 1 ? `${labels.slice(0, -1).join(", ")} and ${labels.at(-1)}` : labels[0];
    log(`Local ${list} sign-in (stand-in${providers.length > 1 ? "s" : ""}) on ${providers.map((p) => `:${p.port}`).join(", ")}.`);
  }
  return stop;
}
