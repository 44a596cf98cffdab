import { OAuth2Client, OAuth2Tokens } from "arctic";
import type { AccountKind } from "../db/schema";
import { AppError } from "../http/errors";
import type { Provider } from "./provider";

/** The provider's redirect back to us: one callback per region, whatever the tenant. */
export function callbackUrl(origin: string, provider: Provider): string {
  return `${origin}/oauth/${provider.name}/callback`;
}

export function oauthClient(provider: Provider, origin: string): OAuth2Client {
  return new OAuth2Client(provider.clientId, null, callbackUrl(origin, provider));
}

/**
 * Exchanges the provider's authorization code (with our PKCE verifier) for its tokens. Apple accepts the
 * client secret only in the body (`client_secret_post`), which arctic's generic client cannot send (it
 * uses HTTP Basic, and arctic's Apple client hard-codes Apple's endpoints and skips PKCE); Google and
 * Microsoft accept the body too, so one request serves all three, parsed by arctic's `OAuth2Tokens`.
 */
export async function exchangeCode(
  provider: Provider,
  account: AccountKind,
  origin: string,
  code: string,
  codeVerifier: string,
): Promise<OAuth2Tokens> {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: callbackUrl(origin, provider),
    client_id: provider.clientId,
    code_verifier: codeVerifier,
  });
  const secret = await provider.clientSecret();
  if (secret) body.set("client_secret", secret);
  let response: Response;
  try {
    response = await fetch(provider.endpoints(account).token, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new AppError("provider_error", { internal: `${provider.name} token endpoint unreachable: ${String(error)}` });
  }
  const data = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok || !data || typeof data.id_token !== "string") {
    const reason = typeof data?.error === "string" ? data.error : `HTTP ${response.status}`;
    throw new AppError("provider_error", { internal: `${provider.name} token endpoint answered ${reason}` });
  }
  return new OAuth2Tokens(data);
}
