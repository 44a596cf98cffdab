// Vitest globalSetup, run in Node (not in workerd): three local OpenID providers standing in for Apple,
// Google and Microsoft, and a small control server through which the tests, from inside workerd, decide
// what each provider answers. Nothing here reaches the Internet.
//
// Each provider is an oauth2-mock-server on 127.0.0.1 (random port) with its own RS256 key, its issuer set
// to http://127.0.0.1:<port> (the library's default says localhost), and stricter than the library on its
// own: its token endpoint, like the real ones, refuses a code it never issued, a code presented twice, a
// redirect_uri other than the one authorised, a missing PKCE verifier, and client credentials other than
// the configured ones (Apple: a client-secret JWT with the right header and claims; its signature is
// checked by the tests, from the recorded request).
//
// Control server (JSON in, JSON out):
//   POST /claims {provider, code, claims, foreignKey?, kid?}
//                                              the tokens minted for that code carry these claims, applied
//                                              last (so they may override iss, aud, exp, nonce, sub ...;
//                                              null removes a claim);
//                                              with foreignKey or kid, its ID token is signed as /mint does
//   POST /fail   {provider, code, mode}        the token request for that code fails: "token-endpoint-500",
//                                              "token-endpoint-down" (connection closed, no answer),
//                                              "invalid-grant", "no-id-token"
//   POST /mint   {provider, claims?, foreignKey?, kid?, expiresIn?} → {idToken}, for the native SDK flow:
//                                              signed by the provider's key, a fresh `jti` in each;
//                                              foreignKey: a key not in its JWKS under the same kid; kid:
//                                              that (unknown) kid
//   GET  /token-requests?provider&code         → the token requests made for that code {body, authorization}
// Failures and claims are keyed by authorization code, never global: test files run concurrently against
// the same three servers.
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, importJWK, type JWK, type JWTPayload } from "jose";
import { HttpServer, OAuth2Server, type MutableResponse, type MutableToken, type TokenRequestIncomingMessage } from "oauth2-mock-server";
import type { TestProject } from "vitest/node";

export const providerNames = ["apple", "google", "microsoft"] as const;
export type OidcProviderName = (typeof providerNames)[number];

/** One local provider, as the Worker's bindings name it. */
export interface OidcProviderConfig {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** The web (redirect flow) client id: `${P}_CLIENT_ID`. */
  clientId: string;
  /** `${P}_NATIVE_CLIENT_IDS`, the audiences of the native SDK flow. */
  nativeClientIds: string[];
  /** Google and Microsoft: `${P}_CLIENT_SECRET`. */
  clientSecret?: string;
}

export interface AppleCredentials {
  teamId: string;
  keyId: string;
  /** PKCS#8 PEM of an EC P-256 key: APPLE_PRIVATE_KEY. */
  privateKey: string;
}

/** What the globalSetup provides (`inject('oidc')`), and what the OIDC test binding holds. */
export interface OidcServers {
  apple: OidcProviderConfig & AppleCredentials;
  google: OidcProviderConfig;
  microsoft: OidcProviderConfig;
  /** The control server's origin. */
  control: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    oidc: OidcServers;
  }
}

/** The tenant id Microsoft puts in `tid` for every personal (consumer) account. */
export const MICROSOFT_PERSONAL_TID = "9188040d-6c67-4c5b-b112-36a304b66dad";
/** A work directory (Entra tenant) id for tokens that set no `tid`. */
export const MICROSOFT_DEFAULT_WORK_TID = "72f988bf-86f1-41af-91ab-2d7cd011db47";

const clients = {
  apple: { clientId: "com.printid.web", nativeClientIds: ["com.printid.app"] },
  google: { clientId: "google-web-client", nativeClientIds: ["google-ios-client", "google-android-client"], clientSecret: "google-secret" },
  microsoft: { clientId: "microsoft-web-client", nativeClientIds: ["microsoft-native-client"], clientSecret: "microsoft-secret" },
} satisfies Record<OidcProviderName, Pick<OidcProviderConfig, "clientId" | "nativeClientIds" | "clientSecret">>;

const APPLE_TEAM_ID = "TEAM123456";
const APPLE_KEY_ID = "KEY1234567";

export type FailMode = "token-endpoint-500" | "token-endpoint-down" | "invalid-grant" | "no-id-token";
const failModes: readonly FailMode[] = ["token-endpoint-500", "token-endpoint-down", "invalid-grant", "no-id-token"];

interface RecordedTokenRequest {
  body: Record<string, unknown>;
  authorization: string | null;
}

/** What a provider knows about a code it issued at /authorize. */
interface CodeRecord {
  redirectUri: string;
  clientId: string | undefined;
  codeChallenge: string | undefined;
  nonce: string | undefined;
  /** Identity claims fixed at /authorize: the same person for both tokens of the exchange. */
  defaults: Record<string, unknown>;
  redeemed: boolean;
  requests: RecordedTokenRequest[];
}

/** Minimal shapes of Node's request and response (the tests' tsconfig has the Workers types, not Node's). */
interface NodeRequest extends AsyncIterable<Uint8Array> {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  socket: { destroy(): void };
}
/** oauth2-mock-server's service is a Node EventEmitter (typed through @types/node, absent here). */
interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
}
interface NodeResponse {
  writeHead(status: number, headers?: Record<string, string>): NodeResponse;
  end(body?: string): unknown;
}

const randomHex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, "0")).join("");
const randomDigits = (length: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte, index) => (index === 0 ? 1 + (byte % 9) : byte % 10)).join("");

/** A subject that looks like the provider's own, unique per code (tests that need a known one set `sub`). */
function defaultIdentity(provider: OidcProviderName): Record<string, unknown> {
  switch (provider) {
    case "apple":
      return { sub: `000${randomDigits(3)}.${randomHex(16)}.0${randomDigits(3)}` };
    case "google":
      return { sub: randomDigits(21) };
    case "microsoft":
      return { sub: randomHex(16), oid: crypto.randomUUID(), tid: MICROSOFT_DEFAULT_WORK_TID };
  }
}

function header(req: NodeRequest, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** The client id and secret of a token request, from HTTP Basic or from the form. */
function clientCredentials(req: NodeRequest, body: Record<string, unknown>) {
  const authorization = header(req, "authorization");
  if (authorization?.startsWith("Basic ")) {
    const decoded = atob(authorization.slice(6));
    const colon = decoded.indexOf(":");
    const unescape = (value: string) => decodeURIComponent(value.replace(/\+/g, " "));
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  }
  return {
    id: typeof body.client_id === "string" ? body.client_id : undefined,
    secret: typeof body.client_secret === "string" ? body.client_secret : undefined,
  };
}

/**
 * Apple's client secret: an ES256 JWT by the team (iss), for the Services ID (sub), kid = the key id, at
 * most 6 months long. What is wrong with it, or null. (Its signature is the tests' to check: jose verifies
 * asynchronously, and the library's hooks are synchronous.)
 */
function appleClientSecretProblem(secret: string | undefined, clientId: string, issuer: string): string | null {
  if (!secret) return "no client_secret";
  try {
    const protectedHeader = decodeProtectedHeader(secret);
    const claims = decodeJwt(secret);
    const now = Math.floor(Date.now() / 1000);
    if (protectedHeader.alg !== "ES256") return `alg ${protectedHeader.alg}, not ES256`;
    if (protectedHeader.kid !== APPLE_KEY_ID) return `kid ${protectedHeader.kid}, not ${APPLE_KEY_ID}`;
    if (claims.iss !== APPLE_TEAM_ID) return `iss ${claims.iss}, not the team id`;
    if (claims.sub !== clientId) return `sub ${claims.sub}, not the client id`;
    // Apple wants its own identifier, https://appleid.apple.com: here, this server's issuer.
    if (claims.aud !== issuer && !(Array.isArray(claims.aud) && claims.aud.includes(issuer))) return `aud is not ${issuer}`;
    if (typeof claims.exp !== "number" || claims.exp <= now) return "expired or no exp";
    if (claims.exp - (claims.iat ?? now) > 15_777_000) return "lives longer than 6 months";
    return null;
  } catch {
    return "not a JWT";
  }
}

interface SigningOptions {
  /** Sign with a key that is not in the JWKS, under the kid of the one that is. */
  foreignKey?: boolean;
  /** Sign under a kid the JWKS does not have. */
  kid?: string;
}

class LocalProvider {
  readonly server = new OAuth2Server();
  readonly codes = new Map<string, CodeRecord>();
  /** Claims and failures may be set before the code exists (they wait for it). */
  readonly claims = new Map<string, Record<string, unknown>>();
  readonly failures = new Map<string, FailMode>();
  /** ID tokens signed ahead (by a foreign key, or under an unknown kid) to answer in place of the real one. */
  readonly badlySigned = new Map<string, string>();
  /** A key that is NOT in the JWKS: signs the "bad signature" tokens of /mint. */
  foreignKey!: JWK;
  publicKey!: JWK;
  config!: OidcProviderConfig;

  constructor(readonly name: OidcProviderName) {}

  async start(): Promise<void> {
    const jwk = await this.server.issuer.keys.generate("RS256");
    const foreign = await generateKeyPair("RS256", { extractable: true });
    this.foreignKey = { ...(await exportJWK(foreign.privateKey)), kid: jwk.kid, alg: "RS256" };
    this.publicKey = jwk;
    await this.server.start(0, "127.0.0.1");
    const issuer = `http://127.0.0.1:${this.server.address().port}`;
    this.server.issuer.url = issuer;
    this.config = {
      issuer,
      authorizationEndpoint: `${issuer}/authorize`,
      tokenEndpoint: `${issuer}/token`,
      jwksUri: `${issuer}/jwks`,
      ...clients[this.name],
    };
    this.hook();
  }

  private hook() {
    const service = this.server.service as unknown as Emitter;

    service.on("beforeAuthorizeRedirect", (redirect: { url: URL }, req: NodeRequest) => {
      const code = redirect.url.searchParams.get("code");
      if (!code) return;
      const query = req.query;
      this.codes.set(code, {
        redirectUri: String(query.redirect_uri),
        clientId: typeof query.client_id === "string" ? query.client_id : undefined,
        codeChallenge: typeof query.code_challenge === "string" ? query.code_challenge : undefined,
        nonce: typeof query.nonce === "string" ? query.nonce : undefined,
        defaults: defaultIdentity(this.name),
        redeemed: false,
        requests: [],
      });
    });

    // Emitted for the access token and again for the ID token of the same request: both get the claims.
    const claimsOfRequest = new WeakMap<object, Record<string, unknown>>();
    service.on("beforeTokenSigning", (token: MutableToken, req: TokenRequestIncomingMessage) => {
      const code = req.body.code;
      if (code === undefined) return;
      let claims = claimsOfRequest.get(req);
      if (!claims) {
        claims = { ...this.codes.get(code)?.defaults, ...this.claims.get(code) };
        this.claims.delete(code);
        claimsOfRequest.set(req, claims);
      }
      for (const [name, value] of Object.entries(claims)) {
        if (value === null) delete token.payload[name];
        else token.payload[name] = value;
      }
    });

    service.on("beforeResponse", (response: MutableResponse, req: TokenRequestIncomingMessage & NodeRequest) => {
      const body = req.body as unknown as Record<string, unknown>;
      if (body.grant_type !== "authorization_code") return;
      const code = typeof body.code === "string" ? body.code : "";
      const record = this.codes.get(code);
      record?.requests.push({ body: { ...body }, authorization: header(req, "authorization") });
      const refuse = (statusCode: number, error: string, description: string) => {
        response.statusCode = statusCode;
        response.body = { error, error_description: description };
      };

      const failure = this.failures.get(code);
      this.failures.delete(code);
      if (failure === "token-endpoint-down") {
        req.socket.destroy();
        return;
      }
      if (failure === "token-endpoint-500") return refuse(500, "server_error", "injected failure");
      if (failure === "invalid-grant") return refuse(400, "invalid_grant", "injected failure");

      const client = clientCredentials(req, body);
      if (!record) return refuse(400, "invalid_grant", "unknown code");
      if (record.redeemed) return refuse(400, "invalid_grant", "code already redeemed");
      record.redeemed = true;
      if (body.redirect_uri !== record.redirectUri) return refuse(400, "invalid_grant", "redirect_uri differs from the authorization request");
      if (record.codeChallenge && typeof body.code_verifier !== "string") return refuse(400, "invalid_grant", "code_verifier required");
      if (client.id !== clients[this.name].clientId || (record.clientId !== undefined && client.id !== record.clientId)) {
        return refuse(401, "invalid_client", `unknown client ${client.id}`);
      }
      if (this.name === "apple") {
        // Apple's token endpoint takes client_secret_post only (its discovery document says so).
        if (header(req, "authorization")) return refuse(400, "invalid_client", "Apple takes client_id and client_secret in the form");
        const problem = appleClientSecretProblem(client.secret, client.id, this.config.issuer);
        if (problem) return refuse(400, "invalid_client", `client_secret: ${problem}`);
      } else if (client.secret !== clients[this.name].clientSecret) {
        return refuse(401, "invalid_client", "wrong client secret");
      }
      if (typeof response.body !== "object") return;
      const replacement = this.badlySigned.get(code);
      this.badlySigned.delete(code);
      if (replacement) response.body.id_token = replacement;
      if (failure === "no-id-token") delete response.body.id_token;
    });
  }

  /** Claims for a code's tokens; with foreignKey or kid, its ID token is signed ahead, badly. */
  async setClaims(code: string, claims: Record<string, unknown>, signing: SigningOptions): Promise<void> {
    this.claims.set(code, claims);
    if (!signing.foreignKey && signing.kid === undefined) return;
    const record = this.codes.get(code);
    if (!record) throw new Error(`${this.name}: no code ${code} (a badly signed token needs the code's nonce)`);
    const base = { aud: record.clientId ?? this.config.clientId, nonce: record.nonce, ...record.defaults };
    this.badlySigned.set(code, await this.mint({ ...signing, claims: { ...base, ...claims } }));
  }

  /** An ID token as the provider's SDK hands it to an app; a null claim is left out. */
  async mint(options: SigningOptions & { claims?: Record<string, unknown>; expiresIn?: number }): Promise<string> {
    const [key] = this.server.issuer.keys.toJSON(true) as JWK[];
    if (!key) throw new Error(`${this.name}: no key`);
    const signingKey = options.foreignKey ? this.foreignKey : key;
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: this.config.issuer,
      aud: this.config.nativeClientIds[0],
      iat: now,
      exp: now + (options.expiresIn ?? 3600),
      // Every token the provider issues is a new one (RS256 is deterministic: same claims, same token).
      jti: crypto.randomUUID(),
      ...defaultIdentity(this.name),
      ...options.claims,
    };
    // A null claim is one the token does not have.
    for (const [name, value] of Object.entries(payload)) if (value === null) delete payload[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: options.kid ?? key.kid })
      .sign(await importJWK(signingKey, "RS256"));
  }
}

async function readJson(req: NodeRequest): Promise<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of req) text += decoder.decode(chunk, { stream: true });
  text += decoder.decode();
  const value: unknown = text ? JSON.parse(text) : {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("a JSON object is expected");
  return value as Record<string, unknown>;
}

function controlServer(providers: Record<OidcProviderName, LocalProvider>) {
  const providerOf = (body: Record<string, unknown>) => {
    const provider = providers[body.provider as OidcProviderName];
    if (!provider) throw new Error(`unknown provider ${String(body.provider)}`);
    return provider;
  };
  const codeOf = (body: Record<string, unknown>) => {
    if (typeof body.code !== "string" || !body.code) throw new Error("code is required");
    return body.code;
  };

  async function handle(req: NodeRequest): Promise<[number, unknown]> {
    const url = new URL(req.url ?? "/", "http://control");
    if (req.method === "GET" && url.pathname === "/") {
      return [200, Object.fromEntries(providerNames.map((name) => [name, providers[name].config]))];
    }
    if (req.method === "GET" && url.pathname === "/token-requests") {
      const provider = providerOf({ provider: url.searchParams.get("provider") });
      return [200, { requests: provider.codes.get(url.searchParams.get("code") ?? "")?.requests ?? [] }];
    }
    if (req.method !== "POST") return [404, { error: "not_found" }];
    const body = await readJson(req);
    switch (url.pathname) {
      case "/claims": {
        const claims = body.claims;
        if (typeof claims !== "object" || claims === null) throw new Error("claims must be an object");
        await providerOf(body).setClaims(codeOf(body), claims as Record<string, unknown>, {
          foreignKey: body.foreignKey === true,
          kid: typeof body.kid === "string" ? body.kid : undefined,
        });
        return [204, null];
      }
      case "/fail": {
        if (!failModes.includes(body.mode as FailMode)) throw new Error(`mode must be one of ${failModes.join(", ")}`);
        providerOf(body).failures.set(codeOf(body), body.mode as FailMode);
        return [204, null];
      }
      case "/mint": {
        const idToken = await providerOf(body).mint({
          claims: body.claims as Record<string, unknown> | undefined,
          foreignKey: body.foreignKey === true,
          kid: typeof body.kid === "string" ? body.kid : undefined,
          expiresIn: typeof body.expiresIn === "number" ? body.expiresIn : undefined,
        });
        return [200, { idToken }];
      }
      default:
        return [404, { error: "not_found" }];
    }
  }

  return new HttpServer((req: NodeRequest, res: NodeResponse) => {
    handle(req).then(
      ([status, body]) => {
        if (body === null) res.writeHead(status).end();
        else res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      },
      (error: Error) => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: error.message })),
    );
  });
}

/** Starts the three providers and the control server, provides their configuration, stops them after. */
export default async function setup(project: TestProject) {
  const providers = {
    apple: new LocalProvider("apple"),
    google: new LocalProvider("google"),
    microsoft: new LocalProvider("microsoft"),
  };
  const control = controlServer(providers);
  try {
    await Promise.all(Object.values(providers).map((provider) => provider.start()));
    await control.start(0, "127.0.0.1");
  } catch (error) {
    await stopAll(providers, control);
    throw error;
  }
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const servers: OidcServers = {
    apple: { ...providers.apple.config, teamId: APPLE_TEAM_ID, keyId: APPLE_KEY_ID, privateKey: await exportPKCS8(privateKey) },
    google: providers.google.config,
    microsoft: providers.microsoft.config,
    control: `http://127.0.0.1:${control.address().port}`,
  };
  project.provide("oidc", servers);
  return () => stopAll(providers, control);
}

async function stopAll(providers: Record<OidcProviderName, LocalProvider>, control: HttpServer) {
  const running = [...Object.values(providers).map((provider) => provider.server), control].filter((server) => server.listening);
  await Promise.all(running.map((server) => server.stop()));
}
