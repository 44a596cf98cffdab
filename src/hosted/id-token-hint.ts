import { errors, jwtVerify, type JWTPayload } from "jose";
import type { SigningKeys } from "../tokens/keys";

export interface IdTokenHint {
  /** The person it was issued for. */
  sub: string;
  /** The client it was issued to. */
  clientId: string;
  /** The session it belongs to. */
  sid?: string;
}

/**
 * An ID token this issuer signed, as `id_token_hint` presents it (OIDC Core §3.1.2.1, RP-Initiated Logout
 * §2): the signature, the issuer and the typ are checked; an expired one still names its person and
 * session, which is all a hint says. Undefined for anything else.
 */
export async function readIdTokenHint(keys: SigningKeys, token: string, issuer: string): Promise<IdTokenHint | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys.verificationKey, { issuer, algorithms: ["RS256", "ES256"], typ: "JWT" }));
  } catch (error) {
    // jose checks the signature before the claims: an expired token's payload is the signed one.
    if (!(error instanceof errors.JWTExpired)) return undefined;
    payload = error.payload;
    if (payload.iss !== issuer) return undefined;
  }
  const audience = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  if (typeof payload.sub !== "string" || typeof audience !== "string") return undefined;
  return { sub: payload.sub, clientId: audience, sid: typeof payload.sid === "string" ? payload.sid : undefined };
}
