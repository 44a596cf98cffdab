import type { Context } from "hono";
import { secretsEqual } from "../crypto/constant-time";
import { sha256 } from "../crypto/secrets";
import type { AppEnv } from "../http/context";
import { OAuthError } from "../http/oauth-error";
import { findDevice, markSeen, type DeviceClient } from "../devices/device-clients";
import { isConfidential, registeredClient, supportedScopes, type Client } from "./clients";

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

/** The client parameters of a request to /token or /revoke (client_secret_post, or `none` with client_id). */
export interface ClientParameters {
  client_id?: string;
  client_secret?: string;
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

/** Who the request says it is: HTTP Basic or the body, never both (RFC 6749 §2.3: one method a request). */
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

/**
 * A device client of the request's tenant (issue 15): always confidential, its secret checked like a
 * registered client's. Unknown, of another tenant, or revoked: `invalid_client`, alike.
 */
async function deviceClient(c: Context<AppEnv>, presented: { id: string; secret?: string }): Promise<CallingClient> {
  const { db, tenant } = c.var;
  const device = await findDevice(db, tenant.id, presented.id);
  if (!device || device.revokedAt !== null) throw new ClientRefused("Unknown client");
  if (!presented.secret) {
    throw new ClientRefused("A device authenticates: HTTP Basic (client_secret_basic) or client_secret in the body (client_secret_post)");
  }
  if (!(await secretsEqual(await sha256(presented.secret), device.secretHash))) throw new ClientRefused("The client's credentials are not valid");
  await markSeen(db, device);
  return { client: deviceAsClient(device), authenticated: true, device };
}

function presentedClient(c: Context<AppEnv>, body: ClientParameters): { id: string; secret?: string } | undefined {
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
 * The client of a request to /token or /revoke, authenticated as RFC 6749 §2.3 says: a confidential
 * client by its secret (client_secret_basic or client_secret_post), whose SHA-256 is compared in constant
 * time with the registered hash; a public client by its id alone (`none`: PKCE protects its codes), and
 * never with a secret; a device client of the request's tenant as a confidential one. Undefined when the
 * request names no client; `invalid_client` (401) when it names one that is unknown, revoked, or fails to
 * prove itself.
 */
export async function callingClient(c: Context<AppEnv>, body: ClientParameters): Promise<CallingClient | undefined> {
  const presented = presentedClient(c, body);
  if (!presented) return undefined;
  const client = registeredClient(c.var.config, presented.id);
  if (!client) return deviceClient(c, presented);
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
