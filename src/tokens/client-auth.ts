import type { Context } from "hono";
import { secretsEqual } from "../crypto/constant-time";
import { sha256 } from "../crypto/secrets";
import type { AppEnv } from "../http/context";
import { OAuthError } from "../http/oauth-error";
import { assertedClientId, assertionRefusal, JWT_BEARER_ASSERTION } from "../devices/client-assertions";
import { findDevice, hasKeys, markSeen, type DeviceClient, type KeyDevice } from "../devices/device-clients";
import { isConfidential, registeredClient, supportedScopes, type Client } from "./clients";
import { issuerOf } from "./jwt";

/**
 * `invalid_client` with the challenge of the one scheme printid takes in the header: RFC 6749 §5.2 asks
 * for `WWW-Authenticate` when the client tried that header, and a client that sent nothing learns how.
 */
class ClientRefused extends OAuthError {
  constructor(description: string) {
    super("invalid_client", description);
  }

  override toResponse(): Response {
    const response = super.toResponse();
    response.headers.set("WWW-Authenticate", 'Basic realm="printid", charset="UTF-8"');
    return response;
  }
}

/**
 * The client parameters of a request to /token, /revoke or /device/authorize: client_secret_post, a
 * client assertion (private_key_jwt, RFC 7521 §4.2), or `none` with client_id.
 */
export interface ClientParameters {
  client_id?: string;
  client_secret?: string;
  client_assertion_type?: string;
  client_assertion?: string;
}

/**
 * The client a request comes from, and whether it proved it with its secret (a confidential client); for
 * a device of the tenant (issue 15), its record too.
 */
export interface CallingClient {
  client: Client;
  authenticated: boolean;
  device?: DeviceClient;
}

/** Who a request says it is, and what it proves it with: a secret, an assertion, or nothing (`none`). */
interface PresentedClient {
  id: string;
  /** client_secret_basic or client_secret_post. */
  secret?: string;
  /** private_key_jwt: a JWT signed with one of the client's registered keys. */
  assertion?: string;
}

/** RFC 6749 §2.3.1 and Appendix B: each half form-urlencoded, then joined by a colon, then base64. */
function basicCredentials(authorization: string): { id: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(authorization);
  if (!match) return undefined;
  try {
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(match[1]!), (char) => char.charCodeAt(0)));
    const colon = decoded.indexOf(":");
    if (colon < 1) return undefined;
    const formDecoded = (part: string) => decodeURIComponent(part.replaceAll("+", " "));
    return { id: formDecoded(decoded.slice(0, colon)), secret: formDecoded(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/**
 * What a device may do as an OAuth client: refresh the sessions it got by the device grant (which
 * routes.ts checks by `device`, not by this list), with every scope printid grants.
 */
function deviceAsClient(device: DeviceClient): Client {
  return {
    id: device.id,
    name: device.name,
    redirectUris: [],
    postLogoutRedirectUris: [],
    secretHash: device.secretHash,
    grantTypes: ["refresh_token"],
    scopes: [...supportedScopes],
    idTokenSignedResponseAlg: "RS256",
  };
}

/** A device registered with keys proves itself by a client assertion alone: it has no secret. */
async function checkAssertion(c: Context<AppEnv>, device: KeyDevice, presented: PresentedClient): Promise<void> {
  if (presented.assertion === undefined) {
    throw new ClientRefused(`This device authenticates with a client assertion (private_key_jwt, client_assertion_type ${JWT_BEARER_ASSERTION})`);
  }
  const { db, config, tenant } = c.var;
  const refusal = await assertionRefusal(db, device, presented.assertion, issuerOf(config, tenant));
  if (refusal !== undefined) throw new ClientRefused(refusal);
}

/** A device registered with a secret proves itself by that secret, compared by its SHA-256 in constant time. */
async function checkSecret(device: DeviceClient, presented: PresentedClient): Promise<void> {
  if (presented.assertion !== undefined) throw new ClientRefused("This device has no registered keys: it authenticates with its secret");
  if (!presented.secret) {
    throw new ClientRefused("A device authenticates: HTTP Basic (client_secret_basic) or client_secret in the body (client_secret_post)");
  }
  if (!(await secretsEqual(await sha256(presented.secret), device.secretHash))) throw new ClientRefused("The client's credentials are not valid");
}

/**
 * A device client of the request's tenant (issue 15): always confidential, by the one credential it was
 * registered with (a secret, or public keys). Unknown, of another tenant, or revoked: `invalid_client`,
 * alike.
 */
async function deviceClient(c: Context<AppEnv>, presented: PresentedClient): Promise<CallingClient> {
  const { db, tenant } = c.var;
  const device = await findDevice(db, tenant.id, presented.id);
  if (!device || device.revokedAt !== null) throw new ClientRefused("Unknown client");
  await (hasKeys(device) ? checkAssertion(c, device, presented) : checkSecret(device, presented));
  await markSeen(db, device);
  return { client: deviceAsClient(device), authenticated: true, device };
}

/**
 * RFC 7521 §4.2, RFC 7523 §2.2: a client named by its assertion, the request's one credential. Sent with a
 * secret (Basic or client_secret) it is `invalid_request`, as RFC 6749 §2.3 says of a second method.
 */
function assertingClient(c: Context<AppEnv>, body: ClientParameters): PresentedClient {
  if (c.req.header("Authorization") !== undefined || body.client_secret !== undefined) {
    throw new OAuthError("invalid_request", "Authenticate the client one way: a client assertion or a secret, not both");
  }
  if (body.client_assertion_type !== JWT_BEARER_ASSERTION) throw new ClientRefused(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
  if (!body.client_assertion) throw new ClientRefused("Missing client_assertion");
  const id = assertedClientId(body.client_assertion);
  if (id === undefined) throw new ClientRefused("client_assertion is not a JWT naming its client in sub");
  // RFC 7521 §4.2: a client_id sent beside the assertion names the same client.
  if (body.client_id !== undefined && body.client_id !== id) throw new ClientRefused("client_id names another client than the client assertion");
  return { id, assertion: body.client_assertion };
}

/** Who the request says it is: an assertion, HTTP Basic or the body, one of them (RFC 6749 §2.3: one method a request). */
function presentedClient(c: Context<AppEnv>, body: ClientParameters): PresentedClient | undefined {
  if (body.client_assertion !== undefined || body.client_assertion_type !== undefined) return assertingClient(c, body);
  const authorization = c.req.header("Authorization");
  if (authorization === undefined) return body.client_id === undefined ? undefined : { id: body.client_id, secret: body.client_secret };
  const basic = basicCredentials(authorization);
  if (!basic) throw new ClientRefused("The Authorization header is not HTTP Basic client credentials");
  if (body.client_secret !== undefined) {
    throw new OAuthError("invalid_request", "Send the client's secret once: in the Authorization header or in the body, not both");
  }
  if (body.client_id !== undefined && body.client_id !== basic.id) {
    throw new OAuthError("invalid_request", "client_id names another client than the Authorization header");
  }
  return basic;
}

/**
 * The client of a request to /token, /revoke or /device/authorize, authenticated as RFC 6749 §2.3 says: a
 * confidential client by its secret (client_secret_basic or client_secret_post), whose SHA-256 is compared
 * in constant time with the registered hash; a public client by its id alone (`none`: PKCE protects its
 * codes), and never with a secret; a device client of the request's tenant as a confidential one, by its
 * secret or, if registered with keys, by a client assertion (private_key_jwt), which no other client
 * uses. Undefined when the request names no client; `invalid_client` (401) when it names one that is
 * unknown, revoked, or fails to prove itself.
 */
export async function callingClient(c: Context<AppEnv>, body: ClientParameters): Promise<CallingClient | undefined> {
  const presented = presentedClient(c, body);
  if (!presented) return undefined;
  const client = registeredClient(c.var.config, presented.id);
  if (!client) return deviceClient(c, presented);
  if (presented.assertion !== undefined) throw new ClientRefused("This client does not authenticate with a client assertion");
  // An empty secret is no secret (RFC 6749 §2.3.1 lets a client leave an empty one out).
  const secret = presented.secret || undefined;
  if (!isConfidential(client)) {
    if (secret !== undefined) throw new ClientRefused("This client is public: it has no secret");
    return { client, authenticated: false };
  }
  if (secret === undefined) {
    throw new ClientRefused("This client must authenticate: HTTP Basic (client_secret_basic) or client_secret in the body (client_secret_post)");
  }
  if (!(await secretsEqual(await sha256(secret), client.secretHash))) throw new ClientRefused("The client's credentials are not valid");
  return { client, authenticated: true };
}
