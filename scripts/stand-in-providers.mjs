// Local stand-ins for Apple, Google and Microsoft, one oauth2-mock-server each on 127.0.0.1, for
//   - `npm run dev` (scripts/dev.mjs: fixed ports, the dev clients), which `npm run oauth:try` drives, and
//   - the tests (test/support/stand-ins.setup.ts, vitest's globalSetup: random ports, the test clients).
// Nothing here reaches the Internet.
//
// /authorize has no login page: it signs a made-up person in at once and redirects back with a code
// (stand-in-people.mjs). The request's `login_hint` names the person (`npm run oauth:try -- --user jane.doe`),
// `names=none` leaves their names out (--no-names); without a hint it is `defaultLogin` (dev.user for
// `npm run dev`), or, where none is set (the tests), a new bare identity per code.
//
// The token endpoint is as strict as the real ones, more than the library on its own: it refuses a code it
// never issued, a code presented twice, a redirect_uri other than the authorised one, a missing PKCE
// verifier and another client. Told a client secret (Google, Microsoft) or Apple's team and key ids, it
// checks those too: Apple's client secret is a JWT whose header and claims are checked here (its signature is
// the tests' to check, from the recorded request: jose verifies asynchronously, the library's hooks are
// synchronous). `npm run dev` tells it none, so any secret passes there.
//
// Microsoft is also laid out like login.microsoftonline.com: /{directory}/oauth2/v2.0/authorize and /token,
// /{directory}/discovery/v2.0/keys, /{directory}/v2.0/.well-known/openid-configuration, issuer /{tid}/v2.0.
// `consumers` signs a PERSONAL ACCOUNT in, `organizations` a WORK ACCOUNT, a directory GUID an account of
// that directory; where the path names none (`common`, or a `{tenant}` the Worker did not fill in) the
// request's `account=personal` (`npm run oauth:try -- --account personal`) makes it personal. `npm run dev`
// points the Worker at these (`microsoftDirectories`); the tests use the flat endpoints, so that a test's
// token may carry any `tid` under one issuer.
//
// Scripting, on each stand-in's own origin (JSON in, JSON out): what the tests, from inside workerd, make
// the provider answer. Claims and failures are keyed by authorization code, never global: test files run
// concurrently against the same three stand-ins.
//   POST /stand-in/claims {code, claims, foreignKey?, kid?}  the tokens minted for that code carry these
//        claims, applied last (so they may override iss, aud, exp, nonce, sub…; null removes a claim); with
//        foreignKey or kid its ID token is signed as /stand-in/mint does
//   POST /stand-in/fail {code, mode}  the token request for that code fails: token-endpoint-500,
//        token-endpoint-down (connection closed, no answer), invalid-grant, no-id-token
//   POST /stand-in/mint {claims?, foreignKey?, kid?, expiresIn?} → {idToken}  an ID token as the provider's
//        native SDK hands it to an app: signed by the provider's key, a fresh `jti` in each; foreignKey: a
//        key not in its JWKS under the same kid; kid: that (unknown) kid
//   GET  /stand-in/token-requests?code=…  → {requests: [{body, authorization}]}, the token requests made
//        for that code
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { HttpServer, OAuth2Issuer, OAuth2Service } from "oauth2-mock-server";
import { CONSUMERS_TID, newIdentity, personOf } from "./stand-in-people.mjs";

export const labels = { apple: "Apple", google: "Google", microsoft: "Microsoft" };
export const failModes = ["token-endpoint-500", "token-endpoint-down", "invalid-grant", "no-id-token"];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Microsoft's per-directory paths, and the library's endpoint each one is. */
const MICROSOFT_PATH = /^\/([^/]+)\/(oauth2\/v2\.0\/authorize|oauth2\/v2\.0\/token|discovery\/v2\.0\/keys|v2\.0\/\.well-known\/openid-configuration)$/;
const LIBRARY_PATH = { "oauth2/v2.0/authorize": "/authorize", "oauth2/v2.0/token": "/token", "discovery/v2.0/keys": "/jwks" };

/** The account a Microsoft directory path signs in: null when the path names none (`common`, `{tenant}`). */
function directoryAccount(directory) {
  if (directory === "consumers") return { kind: "personal" };
  if (directory === "organizations") return { kind: "work" };
  if (!GUID.test(directory)) return null;
  const tid = directory.toLowerCase();
  return tid === CONSUMERS_TID ? { kind: "personal" } : { kind: "work", tid };
}

/** Microsoft's discovery document for one directory, as login.microsoftonline.com shapes it. */
function microsoftDiscovery(origin, directory) {
  const base = `${origin}/${directory}`;
  const account = directoryAccount(directory);
  const tid = account?.kind === "personal" ? CONSUMERS_TID : (account?.tid ?? "{tenantid}");
  return {
    issuer: `${origin}/${tid}/v2.0`,
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

/**
 * The library's handler behind Microsoft's path layout: a directory path is served as the library's own
 * endpoint, with the directory on the request (`req.directoryPath`) for the hooks.
 */
function microsoftListener(handler, originOf) {
  return (req, res) => {
    const origin = originOf();
    const url = new URL(req.url, origin);
    const match = url.pathname.match(MICROSOFT_PATH);
    if (!match) return handler(req, res);
    let directory = match[1];
    try {
      directory = decodeURIComponent(directory);
    } catch {
      // Not percent-encoding after all: the segment as it is.
    }
    if (match[2].endsWith("openid-configuration")) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(microsoftDiscovery(origin, directory)));
    }
    req.directoryPath = directory;
    req.url = LIBRARY_PATH[match[2]] + url.search;
    return handler(req, res);
  };
}

/**
 * Where a stand-in is, as the Worker's bindings name a provider. Microsoft with `microsoftDirectories`:
 * endpoints with `{tenant}` where login.microsoftonline.com has the directory (the Worker fills in the
 * account kind's), an issuer with `{tenantid}` (the Worker puts the token's `tid` there).
 */
function endpointsOf(settings, origin) {
  if (settings.name === "microsoft" && settings.microsoftDirectories) {
    return {
      issuer: `${origin}/{tenantid}/v2.0`,
      authorizationEndpoint: `${origin}/{tenant}/oauth2/v2.0/authorize`,
      tokenEndpoint: `${origin}/{tenant}/oauth2/v2.0/token`,
      jwksUri: `${origin}/{tenant}/discovery/v2.0/keys`,
    };
  }
  return { issuer: origin, authorizationEndpoint: `${origin}/authorize`, tokenEndpoint: `${origin}/token`, jwksUri: `${origin}/jwks` };
}

/** The Worker vars pointing one provider at its stand-in: client ids and endpoints (secrets are the caller's). */
export function workerVars(config) {
  const prefix = config.name.toUpperCase();
  return {
    [`${prefix}_CLIENT_ID`]: config.clientId,
    [`${prefix}_NATIVE_CLIENT_IDS`]: config.nativeClientIds.join(","),
    [`${prefix}_ISSUER`]: config.issuer,
    [`${prefix}_AUTHORIZATION_ENDPOINT`]: config.authorizationEndpoint,
    [`${prefix}_TOKEN_ENDPOINT`]: config.tokenEndpoint,
    [`${prefix}_JWKS_URI`]: config.jwksUri,
  };
}

/** A stand-in's configuration before it starts: only one on a fixed port has its endpoints known then. */
export function configOf(settings, port = settings.port) {
  const origin = `http://127.0.0.1:${port}`;
  const { name, clientId, nativeClientIds, clientSecret } = settings;
  return { name, origin, ...endpointsOf(settings, origin), clientId, nativeClientIds, ...(clientSecret ? { clientSecret } : {}) };
}

function header(req, name) {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** The client id and secret of a token request, from HTTP Basic or from the form. */
function clientCredentials(req, body) {
  const authorization = header(req, "authorization");
  if (authorization?.startsWith("Basic ")) {
    const decoded = atob(authorization.slice(6));
    const colon = decoded.indexOf(":");
    const unescape = (value) => decodeURIComponent(value.replace(/\+/g, " "));
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  }
  return {
    id: typeof body.client_id === "string" ? body.client_id : undefined,
    secret: typeof body.client_secret === "string" ? body.client_secret : undefined,
  };
}

/**
 * Apple's client secret: an ES256 JWT by the team (iss), for the Services ID (sub), kid = the key id, at
 * most 6 months long, for Apple (aud: here, this stand-in's origin). What is wrong with it, or null.
 */
function appleClientSecretProblem(secret, clientId, audience, team) {
  if (!secret) return "no client_secret";
  try {
    const protectedHeader = decodeProtectedHeader(secret);
    const claims = decodeJwt(secret);
    const now = Math.floor(Date.now() / 1000);
    if (protectedHeader.alg !== "ES256") return `alg ${protectedHeader.alg}, not ES256`;
    if (protectedHeader.kid !== team.keyId) return `kid ${protectedHeader.kid}, not ${team.keyId}`;
    if (claims.iss !== team.teamId) return `iss ${claims.iss}, not the team id`;
    if (claims.sub !== clientId) return `sub ${claims.sub}, not the client id`;
    if (claims.aud !== audience && !(Array.isArray(claims.aud) && claims.aud.includes(audience))) return `aud is not ${audience}`;
    if (typeof claims.exp !== "number" || claims.exp <= now) return "expired or no exp";
    if (claims.exp - (claims.iat ?? now) > 15_777_000) return "lives longer than 6 months";
    return null;
  } catch {
    return "not a JWT";
  }
}

const sendJson = (res, status, body) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

class StandIn {
  /** What the stand-in knows of each code it issued at /authorize, by code. */
  codes = new Map();
  /** Claims and failures may be set before the code exists (they wait for it). */
  claims = new Map();
  failures = new Map();
  /** ID tokens signed ahead (by a foreign key, or under an unknown kid) to answer in place of the real one. */
  badlySigned = new Map();
  /** The claims of each token request, worked out for its first token and kept for its second. */
  #claimsOfRequest = new WeakMap();

  constructor(settings) {
    this.settings = settings;
    this.issuer = new OAuth2Issuer();
    this.service = new OAuth2Service(this.issuer);
    const handler = this.service.requestHandler;
    const listener = settings.name === "microsoft" ? microsoftListener(handler, () => this.config.origin) : handler;
    this.server = new HttpServer(listener);
    this.service.on("beforeAuthorizeRedirect", (redirect, req) => this.#authorized(redirect, req));
    this.service.on("beforeTokenSigning", (token, req) => this.#signing(token, req));
    this.service.on("beforeResponse", (response, req) => this.#answering(response, req));
    this.#addScriptingRoutes();
  }

  async start() {
    const key = await this.issuer.keys.generate("RS256");
    // A key that is NOT in the JWKS, under the kid of the one that is: signs the "bad signature" tokens.
    const foreign = await generateKeyPair("RS256", { extractable: true });
    this.foreignKey = { ...(await exportJWK(foreign.privateKey)), kid: key.kid, alg: "RS256" };
    const label = labels[this.settings.name];
    try {
      await this.server.start(this.settings.port ?? 0, "127.0.0.1");
    } catch (error) {
      if (error.code !== "EADDRINUSE") throw error;
      throw Object.assign(new Error(`Port ${this.settings.port} (the ${label} stand-in) is in use`), { code: error.code });
    }
    this.config = configOf(this.settings, this.server.address().port);
    // The library's default says localhost; the Worker is told 127.0.0.1.
    this.issuer.url = this.config.origin;
  }

  /** The token's issuer: Microsoft's names the directory where the request came through a directory path. */
  #issuerOf(req, claims) {
    return req.directoryPath !== undefined ? `${this.config.origin}/${claims.tid}/v2.0` : this.config.origin;
  }

  #authorized({ url }, req) {
    const code = url.searchParams.get("code");
    if (!code) return;
    const { query } = req;
    const login = typeof query.login_hint === "string" ? query.login_hint : this.settings.defaultLogin;
    const account = req.directoryPath === undefined ? null : directoryAccount(req.directoryPath);
    const directory = account ?? { kind: query.account === "personal" ? "personal" : "work" };
    this.codes.set(code, {
      redirectUri: String(query.redirect_uri),
      clientId: typeof query.client_id === "string" ? query.client_id : undefined,
      codeChallenge: typeof query.code_challenge === "string" ? query.code_challenge : undefined,
      nonce: typeof query.nonce === "string" ? query.nonce : undefined,
      // Who signed in, fixed here: the same person for both tokens of the exchange.
      identity: login ? personOf(this.settings.name, { login, withNames: query.names !== "none", directory }) : newIdentity(this.settings.name, directory),
      redeemed: false,
      requests: [],
    });
  }

  // Emitted for the access token and again for the ID token of the same request: both get the claims.
  #signing(token, req) {
    const code = req.body.code;
    if (code === undefined) return;
    let claims = this.#claimsOfRequest.get(req);
    if (!claims) {
      const identity = this.codes.get(code)?.identity ?? {};
      claims = { ...identity, iss: this.#issuerOf(req, identity), ...this.claims.get(code) };
      this.claims.delete(code);
      this.#claimsOfRequest.set(req, claims);
    }
    for (const [name, value] of Object.entries(claims)) {
      if (value === null) delete token.payload[name];
      else token.payload[name] = value;
    }
  }

  #answering(response, req) {
    const body = req.body;
    if (body.grant_type !== "authorization_code") return;
    const code = typeof body.code === "string" ? body.code : "";
    const record = this.codes.get(code);
    record?.requests.push({ body: { ...body }, authorization: header(req, "authorization") });
    const refuse = (statusCode, error, description) => {
      response.statusCode = statusCode;
      response.body = { error, error_description: description };
    };

    const failure = this.failures.get(code);
    this.failures.delete(code);
    if (failure === "token-endpoint-down") return void req.socket.destroy();
    if (failure === "token-endpoint-500") return refuse(500, "server_error", "injected failure");
    if (failure === "invalid-grant") return refuse(400, "invalid_grant", "injected failure");

    const { clientId, clientSecret, appleTeam } = this.settings;
    const client = clientCredentials(req, body);
    if (!record) return refuse(400, "invalid_grant", "unknown code");
    if (record.redeemed) return refuse(400, "invalid_grant", "code already redeemed");
    record.redeemed = true;
    if (body.redirect_uri !== record.redirectUri) return refuse(400, "invalid_grant", "redirect_uri differs from the authorization request");
    if (record.codeChallenge && typeof body.code_verifier !== "string") return refuse(400, "invalid_grant", "code_verifier required");
    if (client.id !== clientId || (record.clientId !== undefined && client.id !== record.clientId)) {
      return refuse(401, "invalid_client", `unknown client ${client.id}`);
    }
    if (this.settings.name === "apple") {
      // Apple's token endpoint takes client_secret_post only (its discovery document says so).
      if (header(req, "authorization")) return refuse(400, "invalid_client", "Apple takes client_id and client_secret in the form");
      const problem = appleTeam && appleClientSecretProblem(client.secret, client.id, this.config.origin, appleTeam);
      if (problem) return refuse(400, "invalid_client", `client_secret: ${problem}`);
    } else if (clientSecret !== undefined && client.secret !== clientSecret) {
      return refuse(401, "invalid_client", "wrong client secret");
    }
    if (typeof response.body !== "object") return;
    const replacement = this.badlySigned.get(code);
    this.badlySigned.delete(code);
    if (replacement) response.body.id_token = replacement;
    if (failure === "no-id-token") delete response.body.id_token;
  }

  #addScriptingRoutes() {
    const route = (method, path, handle) =>
      this.service.addRoute(method, `/stand-in/${path}`, async (req, res) => {
        try {
          const answer = await handle(req.method === "GET" ? req.query : (req.body ?? {}));
          if (answer === undefined) res.writeHead(204).end();
          else sendJson(res, 200, answer);
        } catch (error) {
          sendJson(res, 400, { error: error.message });
        }
      });
    const codeOf = (body) => {
      if (typeof body.code !== "string" || !body.code) throw new Error("code is required");
      return body.code;
    };
    const signingOf = (body) => ({ foreignKey: body.foreignKey === true, kid: typeof body.kid === "string" ? body.kid : undefined });

    route("POST", "claims", async (body) => {
      if (typeof body.claims !== "object" || body.claims === null) throw new Error("claims must be an object");
      await this.setClaims(codeOf(body), body.claims, signingOf(body));
    });
    route("POST", "fail", (body) => {
      if (!failModes.includes(body.mode)) throw new Error(`mode must be one of ${failModes.join(", ")}`);
      this.failures.set(codeOf(body), body.mode);
    });
    route("POST", "mint", async (body) => ({
      idToken: await this.mint({ ...signingOf(body), claims: body.claims, expiresIn: typeof body.expiresIn === "number" ? body.expiresIn : undefined }),
    }));
    route("GET", "token-requests", (query) => ({ requests: this.codes.get(query.code ?? "")?.requests ?? [] }));
  }

  /** Claims for a code's tokens; with foreignKey or kid, its ID token is signed ahead, badly. */
  async setClaims(code, claims, signing) {
    this.claims.set(code, claims);
    if (!signing.foreignKey && signing.kid === undefined) return;
    const record = this.codes.get(code);
    if (!record) throw new Error(`${this.settings.name}: no code ${code} (a badly signed token needs the code's nonce)`);
    const base = { aud: record.clientId ?? this.settings.clientId, nonce: record.nonce, ...record.identity };
    this.badlySigned.set(code, await this.mint({ ...signing, claims: { ...base, ...claims } }));
  }

  /** An ID token as the provider's SDK hands it to an app; a null claim is left out. */
  async mint({ claims, foreignKey, kid, expiresIn = 3600 }) {
    const [key] = this.issuer.keys.toJSON(true);
    const now = Math.floor(Date.now() / 1000);
    const identity = newIdentity(this.settings.name);
    const payload = {
      iss: undefined,
      aud: this.settings.nativeClientIds[0],
      iat: now,
      exp: now + expiresIn,
      // Every token the provider issues is a new one (RS256 is deterministic: same claims, same token).
      jti: crypto.randomUUID(),
      ...identity,
      ...claims,
    };
    // Microsoft's issuer, laid out per directory, names the token's own (a null `iss` is one left out).
    if (payload.iss === undefined) payload.iss = this.config.issuer.replace("{tenantid}", String(payload.tid));
    for (const [name, value] of Object.entries(payload)) if (value === null) delete payload[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: kid ?? key.kid })
      .sign(await importJWK(foreignKey ? this.foreignKey : key, "RS256"));
  }
}

/**
 * Starts a stand-in for each of `settings` (see stand-in-providers.d.mts); resolves to their configuration
 * by provider and a function that stops them all. If one cannot start, none is left running.
 */
export async function startStandIns(settings) {
  const standIns = settings.map((each) => new StandIn(each));
  const stop = () => Promise.all(standIns.filter((standIn) => standIn.server.listening).map((standIn) => standIn.server.stop()));
  try {
    await Promise.all(standIns.map((standIn) => standIn.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  return { configs: Object.fromEntries(standIns.map((standIn) => [standIn.settings.name, standIn.config])), stop };
}
