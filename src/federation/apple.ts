import { importPKCS8, SignJWT } from "jose";
import { AppError } from "../http/errors";
import type { ProviderBindings } from "./bindings";
import { text } from "./claims";
import { endpointsFrom, splitList, type Endpoints, type Provider } from "./provider";

const defaults: Endpoints = {
  issuer: "https://appleid.apple.com",
  authorization: "https://appleid.apple.com/auth/authorize",
  token: "https://appleid.apple.com/auth/token",
  jwks: "https://appleid.apple.com/auth/keys",
};

/**
 * Sign in with Apple. Its client secret is a JWT we sign with the team's key; it answers the browser
 * flow with a form POST, and sends the user's name only then, on the first authorization (`user`), never
 * in the ID token. Apple verifies every address it puts in a token (rule E), private-relay ones
 * (…@privaterelay.appleid.com) included: they are e-mails like any other.
 */
export function apple(env: ProviderBindings): Provider | undefined {
  if (!env.APPLE_CLIENT_ID) return undefined;
  const clientId = env.APPLE_CLIENT_ID;
  const endpoints = endpointsFrom(env, "APPLE", defaults);
  return {
    name: "apple",
    clientId,
    nativeClientIds: splitList(env.APPLE_NATIVE_CLIENT_IDS),
    scopes: ["openid", "email", "name"],
    endpoints: () => endpoints,
    authorizationParams: { response_mode: "form_post" },
    clientSecret: async () => {
      // A misconfigured Worker cannot talk to Apple: to the person that is Apple being unavailable.
      const misconfigured = (why: string) => new AppError("provider_error", { internal: `Sign in with Apple: ${why}` });
      if (!env.APPLE_TEAM_ID || !env.APPLE_KEY_ID || !env.APPLE_PRIVATE_KEY) {
        throw misconfigured("APPLE_TEAM_ID, APPLE_KEY_ID and APPLE_PRIVATE_KEY are required");
      }
      const key = await importPKCS8(env.APPLE_PRIVATE_KEY.replaceAll("\\n", "\n"), "ES256").catch(() => {
        throw misconfigured("APPLE_PRIVATE_KEY is not a PKCS#8 P-256 key");
      });
      return new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: env.APPLE_KEY_ID })
        .setIssuer(env.APPLE_TEAM_ID)
        .setSubject(clientId)
        .setAudience(endpoints.issuer)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(key);
    },
    issuerMatches: (_account, claims) => claims.iss === endpoints.issuer,
    profile: (claims, given) => ({
      subject: claims.sub,
      email: text(claims, "email"),
      firstName: given.firstName?.trim() || null,
      lastName: given.lastName?.trim() || null,
    }),
  };
}
