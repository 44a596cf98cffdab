import type { ProviderBindings } from "./bindings";
import { isTrue, personName, text } from "./claims";
import { endpointsFrom, splitList, type Endpoints, type Provider } from "./provider";

const defaults: Endpoints = {
  issuer: "https://accounts.google.com",
  authorization: "https://accounts.google.com/o/oauth2/v2/auth",
  token: "https://oauth2.googleapis.com/token",
  jwks: "https://www.googleapis.com/oauth2/v3/certs",
};

export function google(env: ProviderBindings): Provider | undefined {
  if (!env.GOOGLE_CLIENT_ID) return undefined;
  const endpoints = endpointsFrom(env, "GOOGLE", defaults);
  return {
    name: "google",
    clientId: env.GOOGLE_CLIENT_ID,
    nativeClientIds: splitList(env.GOOGLE_NATIVE_CLIENT_IDS),
    scopes: ["openid", "email", "profile"],
    endpoints: () => endpoints,
    authorizationParams: {},
    clientSecret: async () => env.GOOGLE_CLIENT_SECRET ?? null,
    // Google also issues tokens naming "accounts.google.com" without the scheme.
    issuerMatches: (_account, claims) =>
      claims.iss === endpoints.issuer || (endpoints.issuer === defaults.issuer && claims.iss === "accounts.google.com"),
    profile: (claims) => ({
      subject: claims.sub,
      // Rule E: only an address Google has verified is the person's; an unverified one is no e-mail at all.
      email: isTrue(claims.email_verified) ? text(claims, "email") : null,
      firstName: personName(claims, "given_name"),
      lastName: personName(claims, "family_name"),
    }),
  };
}
