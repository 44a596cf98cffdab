import type { AccountKind } from "../db/schema";
import type { ProviderBindings } from "./bindings";
import { guid, isTrue, personName, text, textList, type IdTokenClaims } from "./claims";
import { splitList, type Provider } from "./provider";

/** The directory (tid) of every personal Microsoft account. */
const CONSUMERS_TID = "9188040d-6c67-4c5b-b112-36a304b66dad";

/**
 * Whether a token's directory fits the account kind's: `consumers` only personal accounts, `organizations`
 * any directory but that one, `common` any, and a directory id only itself.
 */
function directoryAdmits(directory: string, tid: string): boolean {
  if (directory === "consumers") return tid === CONSUMERS_TID;
  if (directory === "organizations") return tid !== CONSUMERS_TID;
  return directory === "common" || directory.toLowerCase() === tid;
}

/**
 * The address Microsoft vouches for (rule E), or null. Any directory admin can type any address into a work
 * account's `email` claim (the "nOAuth" hole), so it counts only from the consumers directory, whose
 * addresses Microsoft verified, or when the directory says it verified it: the optional claims
 * `xms_edov` (the e-mail's domain is verified by the directory) or `verified_primary_email`, whose
 * address is taken when the token has no `email`.
 */
function vouchedEmail(claims: IdTokenClaims, tid: string): string | null {
  const email = text(claims, "email");
  if (tid === CONSUMERS_TID || isTrue(claims.xms_edov)) return email;
  const verified = textList(claims, "verified_primary_email");
  if (email === null) return verified[0] ?? null;
  return verified.some((address) => address.toLowerCase() === email.toLowerCase()) ? email : null;
}

/**
 * Microsoft Entra ID. A work account signs in through the `organizations` tenant, a personal one through
 * `consumers` (both configurable). The identity is the pair (tid, oid): `sub` is pairwise per app and the
 * e-mail claim is whatever the directory says, so neither is a key. Both are GUIDs, checked and lower-cased,
 * so the pair joined by `/` is one identity and no other.
 */
export function microsoft(env: ProviderBindings): Provider | undefined {
  if (!env.MICROSOFT_CLIENT_ID) return undefined;
  const directory = (account: AccountKind) =>
    account === "work" ? (env.MICROSOFT_WORK_TENANT ?? "organizations") : (env.MICROSOFT_PERSONAL_TENANT ?? "consumers");
  const login = (account: AccountKind) => `https://login.microsoftonline.com/${directory(account)}`;
  const issuer = env.MICROSOFT_ISSUER ?? "https://login.microsoftonline.com/{tenantid}/v2.0";
  // An overridden endpoint may name the account kind's directory as `{tenant}`, as Microsoft's own do.
  const inDirectory = (endpoint: string | undefined, account: AccountKind) => endpoint?.replace("{tenant}", directory(account));
  return {
    name: "microsoft",
    clientId: env.MICROSOFT_CLIENT_ID,
    nativeClientIds: splitList(env.MICROSOFT_NATIVE_CLIENT_IDS),
    scopes: ["openid", "email", "profile"],
    endpoints: (account) => ({
      issuer,
      authorization: inDirectory(env.MICROSOFT_AUTHORIZATION_ENDPOINT, account) ?? `${login(account)}/oauth2/v2.0/authorize`,
      token: inDirectory(env.MICROSOFT_TOKEN_ENDPOINT, account) ?? `${login(account)}/oauth2/v2.0/token`,
      jwks: inDirectory(env.MICROSOFT_JWKS_URI, account) ?? `${login(account)}/discovery/v2.0/keys`,
    }),
    authorizationParams: {},
    clientSecret: async () => env.MICROSOFT_CLIENT_SECRET ?? null,
    // The issuer names the token's own directory, so the account kind's directory is checked apart.
    issuerMatches: (account, claims) => {
      const tid = text(claims, "tid");
      return tid !== null && claims.iss === issuer.replace("{tenantid}", tid) && directoryAdmits(directory(account), tid.toLowerCase());
    },
    profile: (claims) => {
      const tid = guid(claims, "tid");
      return {
        subject: `${tid}/${guid(claims, "oid")}`,
        email: vouchedEmail(claims, tid),
        firstName: personName(claims, "given_name"),
        lastName: personName(claims, "family_name"),
      };
    },
  };
}
