import { decodeCBORToNativeValue, decodeCBORToNativeValueNoLeftoverBytes } from "@oslojs/cbor";
import { decodePKIXECDSASignature, ECDSAPublicKey, p256, verifyECDSASignature } from "@oslojs/crypto/ecdsa";
import { RSAPublicKey, sha256ObjectIdentifier, verifyRSASSAPKCS1v15Signature } from "@oslojs/crypto/rsa";
import { sha256 as sha256Bytes } from "@oslojs/crypto/sha2";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import {
  ClientDataType,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  coseEllipticCurveP256,
  COSEPublicKey,
  createAssertionSignatureMessage,
  parseAuthenticatorData,
  parseClientDataJSON,
  type AuthenticatorData,
  type ClientData,
} from "@oslojs/webauthn";
import { and, count, desc, eq, gt, isNull, lt } from "drizzle-orm";
import type * as v from "valibot";
import type { Config } from "../config";
import { sha256 } from "../crypto/secrets";
import type { Database } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { deleteSome, type Pruner } from "../db/prune";
import { passkeys, webauthnChallenges, type Tenant, type UserProfile } from "../db/schema";
import { AppError } from "../http/errors";
import { validationFailed } from "../http/validation";
import type { AuthenticationResponse, RegistrationResponse } from "./webauthn-json";

/**
 * Passkeys (WebAuthn, issue 16): a person's named credentials, several each, which sign them in alone or
 * prove a second factor. The relying party is the region: its id is the host of the region's origin, so a
 * passkey made in one region is never valid in the other, and a passkey is found only within its tenant
 * (rule T). Every challenge is single use and lives minutes. @oslojs/webauthn reads what the browser and the
 * authenticator send and @oslojs/crypto checks the signatures: no curve or RSA arithmetic is done here. Only
 * `none` attestation is taken (printid never judges an authenticator's make), so no certificate chain is
 * ever read, and the Worker carries no X.509 machinery for it.
 */

export type Passkey = typeof passkeys.$inferSelect;
type ChallengePurpose = (typeof webauthnChallenges.$inferSelect)["purpose"];

/** A new credential as the routes take it (webauthn-json): `PublicKeyCredential.toJSON()` after create(). */
type RegistrationResponseJSON = v.InferOutput<typeof RegistrationResponse>;
/** An assertion as the routes take it (webauthn-json): `PublicKeyCredential.toJSON()` after get(). */
type AuthenticationResponseJSON = v.InferOutput<typeof AuthenticationResponse>;

/** A credential that options name (WebAuthn §5.8.3), with the transports its browser said it uses. */
interface CredentialDescriptorJSON {
  id: string;
  type: "public-key";
  transports?: string[];
}

/** What registrationOptions gives: WebAuthn Level 3's PublicKeyCredentialCreationOptionsJSON, as printid fills it. */
interface PublicKeyCredentialCreationOptionsJSON {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  pubKeyCredParams: { alg: number; type: "public-key" }[];
  timeout: number;
  attestation: "none";
  excludeCredentials: CredentialDescriptorJSON[];
  authenticatorSelection: { residentKey: "required"; requireResidentKey: true; userVerification: UserVerification };
}

/** What authenticationOptions gives: WebAuthn Level 3's PublicKeyCredentialRequestOptionsJSON. */
interface PublicKeyCredentialRequestOptionsJSON {
  challenge: string;
  rpId: string;
  allowCredentials: CredentialDescriptorJSON[];
  timeout: number;
  userVerification: UserVerification;
}

/** How long a person has between asking for options and answering them. */
export const WEBAUTHN_CHALLENGE_MS = 5 * 60_000;
/**
 * A person's passkeys at most (rule H: storage per person is bounded): said when options are asked for,
 * before an authenticator makes a credential, and held when one is kept.
 */
export const MAX_PASSKEYS_PER_PERSON = 20;
export const MAX_PASSKEY_NAME_LENGTH = 64;

/**
 * ES256 and RS256: what platform authenticators and security keys make (EdDSA and ML-DSA are left out).
 * signatureCheckOf takes these two and no other.
 */
const ALGORITHMS = [coseAlgorithmES256, coseAlgorithmRS256];

/** A credential id's length in bytes (WebAuthn §4): at least 16 of the authenticator's making, at most 1023. */
const CREDENTIAL_ID_BYTES = { min: 16, max: 1023 };

/** Where the credential id starts in authenticator data (WebAuthn §6.1): after rpIdHash, flags, signCount, aaguid and its length. */
const CREDENTIAL_ID_OFFSET = 32 + 1 + 4 + 16 + 2;

/** How deep the CBOR of an attestation object or a COSE key may nest: as @oslojs/webauthn reads them. */
const CBOR_DEPTH = 4;

/**
 * What an authenticator must prove of the person: a passkey that signs in alone must have checked them
 * itself (PIN, biometrics: `required`); one that follows a password may have been only touched (`preferred`).
 */
export type UserVerification = "required" | "preferred";

/**
 * What enrolment asks: a touch at least, the person verified if the authenticator can. A passkey that later
 * signs in alone is asked for verification then.
 */
const ENROLMENT_VERIFICATION: UserVerification = "preferred";

const rpIdOf = (config: Config) => new URL(config.origin).hostname;

/** The user handle a passkey keeps of its person (WebAuthn §5.4.3): the user's id, which says nothing of them. */
const userHandleOf = (userId: string) => new TextEncoder().encode(userId);

/** A new challenge (WebAuthn §13.4.3): 32 random bytes, base64url as the options carry it. */
const newChallenge = () => encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));

/** A challenge's row, open for WEBAUTHN_CHALLENGE_MS; only its hash is kept. */
async function challengeRow(tenantId: string, challenge: string, purpose: ChallengePurpose, userId: string | null) {
  const now = new Date();
  return {
    challengeHash: await sha256(challenge),
    tenantId,
    userId,
    purpose,
    createdAt: now,
    expiresAt: new Date(now.getTime() + WEBAUTHN_CHALLENGE_MS),
  };
}

/**
 * Spends a challenge this tenant gave for `purpose` (and `userId`, or no person): one DELETE, so that of two
 * uses of one challenge only one finds it, and an expired or unknown one finds nothing. True when spent now.
 */
export async function consumeWebauthnChallenge(
  db: Database,
  tenantId: string,
  challenge: string,
  purpose: ChallengePurpose,
  userId: string | null,
): Promise<boolean> {
  const spent = await db
    .delete(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.challengeHash, await sha256(challenge)),
        eq(webauthnChallenges.tenantId, tenantId),
        eq(webauthnChallenges.purpose, purpose),
        userId === null ? isNull(webauthnChallenges.userId) : eq(webauthnChallenges.userId, userId),
        gt(webauthnChallenges.expiresAt, new Date()),
      ),
    )
    .returning({ challengeHash: webauthnChallenges.challengeHash });
  return spent.length > 0;
}

/**
 * The challenge a response answers, as its client data says; undefined when that cannot even be read. Read
 * loosely on purpose: the challenge is spent first, and the rest of the client data is checked after.
 */
export function challengeOf(response: { response: { clientDataJSON: string } }): string | undefined {
  try {
    const { challenge } = JSON.parse(new TextDecoder().decode(decodeBase64urlIgnorePadding(response.response.clientDataJSON)));
    return typeof challenge === "string" ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** The scheduled clean-up's share: challenges nobody answered before their expiry. */
export const pruneWebauthnChallenges: Pruner = (db, now, limit) => [
  deleteSome(db, webauthnChallenges, lt(webauthnChallenges.expiresAt, now), limit),
];

/** The person's passkeys, newest first. */
export function passkeysOf(db: Database, tenantId: string, userId: string): Promise<Passkey[]> {
  return db
    .select()
    .from(passkeys)
    .where(and(eq(passkeys.userId, userId), eq(passkeys.tenantId, tenantId)))
    .orderBy(desc(passkeys.createdAt))
    .all();
}

function refuseBeyondLimit(held: number) {
  if (held >= MAX_PASSKEYS_PER_PERSON) throw validationFailed([], `A person has at most ${MAX_PASSKEYS_PER_PERSON} passkeys: remove one first`);
}

const descriptorOf = (passkey: Passkey): CredentialDescriptorJSON => ({
  id: passkey.credentialId,
  type: "public-key",
  transports: passkey.transports ?? undefined,
});

/**
 * What the person's browser needs to make a passkey (WebAuthn §5.4): discoverable (it signs in with no
 * username typed; `requireResidentKey` says so to browsers of WebAuthn Level 1), user verification
 * preferred, no attestation, their passkeys excluded so that one authenticator is not registered twice.
 */
export async function registrationOptions(
  db: Database,
  config: Config,
  tenant: Tenant,
  user: UserProfile,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const held = await passkeysOf(db, tenant.id, user.id);
  refuseBeyondLimit(held.length);
  const options: PublicKeyCredentialCreationOptionsJSON = {
    challenge: newChallenge(),
    rp: { id: rpIdOf(config), name: tenant.displayName },
    user: {
      id: encodeBase64urlNoPadding(userHandleOf(user.id)),
      name: user.username,
      displayName: `${user.firstName ?? ""} ${user.lastName ?? ""}`.trim() || user.username,
    },
    pubKeyCredParams: ALGORITHMS.map((alg) => ({ alg, type: "public-key" })),
    timeout: WEBAUTHN_CHALLENGE_MS,
    attestation: "none",
    excludeCredentials: held.map(descriptorOf),
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: ENROLMENT_VERIFICATION },
  };
  await db.insert(webauthnChallenges).values(await challengeRow(tenant.id, options.challenge, "register", user.id));
  return options;
}

/**
 * Verifies the browser's answer to registrationOptions and keeps the passkey under `name`: the challenge
 * must be one of the person's, open, and is spent; then verifiedRegistration's checks. Every refusal is
 * `400 validation_failed`, a credential the tenant already holds included.
 */
export async function registerPasskey(
  db: Database,
  config: Config,
  tenant: Tenant,
  userId: string,
  name: string,
  response: RegistrationResponseJSON,
): Promise<Passkey> {
  const challenge = challengeOf(response);
  if (challenge === undefined || !(await consumeWebauthnChallenge(db, tenant.id, challenge, "register", userId))) {
    throw validationFailed(
      [{ path: "response", message: "Not the answer to open registration options of yours" }],
      "The registration's challenge is unknown, used or expired: ask for new options",
    );
  }
  let credential: NewCredential;
  try {
    credential = verifiedRegistration(config, response);
  } catch (error) {
    throw error instanceof AppError ? error : unverifiable(error instanceof Error ? error.message : "unreadable");
  }
  const [held] = await db.select({ n: count() }).from(passkeys).where(and(eq(passkeys.userId, userId), eq(passkeys.tenantId, tenant.id)));
  refuseBeyondLimit(held?.n ?? 0);
  const passkey: Passkey = {
    id: crypto.randomUUID(),
    tenantId: tenant.id,
    userId,
    name,
    credentialId: encodeBase64urlNoPadding(credential.id),
    publicKey: encodeBase64urlNoPadding(credential.publicKey),
    counter: credential.counter,
    transports: response.response.transports ?? null,
    createdAt: new Date(),
    lastUsedAt: null,
  };
  try {
    await db.insert(passkeys).values(passkey);
  } catch (error) {
    if (uniqueViolation(error) === "passkeys.tenant_id") {
      throw validationFailed([{ path: "response.id", message: "This passkey is already registered in this tenant" }], "This passkey is already registered");
    }
    throw error;
  }
  return passkey;
}

/** A verified new credential: its id, its public key as the authenticator wrote it (COSE), its counter. */
interface NewCredential {
  id: Uint8Array;
  publicKey: Uint8Array;
  counter: number;
}

/**
 * The checks of a registration once its challenge is spent (WebAuthn §7.1; the client data's challenge is
 * the one challengeOf read): the client data is a creation's at the region's origin; the authenticator data
 * is for the region's relying party, its person present, with a new credential whose id is within bounds
 * and whose key signatureCheckOf takes; the attestation is `none`, with no statement. Throws for every
 * refusal, the reason in its message (an attestation of another format: an AppError saying so).
 */
function verifiedRegistration(config: Config, response: RegistrationResponseJSON): NewCredential {
  if (response.id !== response.rawId) throw new Error("id and rawId differ");
  checkClientData(parseClientDataJSON(decodeBase64urlIgnorePadding(response.response.clientDataJSON)), ClientDataType.Create, config);
  const { fmt, attStmt, authData } = attestationObjectOf(response.response.attestationObject);
  const authenticatorData = parseAuthenticatorData(authData);
  checkAuthenticatorData(authenticatorData, config, ENROLMENT_VERIFICATION);
  const { credential } = authenticatorData;
  if (!credential) throw new Error("no attested credential data");
  const idLength = credential.id.byteLength;
  if (idLength < CREDENTIAL_ID_BYTES.min || idLength > CREDENTIAL_ID_BYTES.max) throw new Error(`a credential id of ${idLength} bytes`);
  const publicKey = coseKeyBytes(authData, idLength);
  signatureCheckOf(publicKey);
  if (fmt !== "none") throw unverifiable(`attestation format ${JSON.stringify(fmt.slice(0, 32))}`, "Only `none` attestation is accepted");
  if (Object.keys(attStmt).length > 0) throw new Error("a `none` attestation with a statement");
  return { id: credential.id, publicKey, counter: authenticatorData.signatureCounter };
}

/**
 * The attestation object's fields (WebAuthn §6.5.4). Read here rather than with @oslojs/webauthn's
 * parseAttestationObject, which keeps neither the authenticator data's bytes (the credential's key is
 * stored as the authenticator wrote it) nor the name of a format it does not know.
 */
function attestationObjectOf(encoded: string): { fmt: string; attStmt: object; authData: Uint8Array } {
  const decoded = decodeCBORToNativeValueNoLeftoverBytes(decodeBase64urlIgnorePadding(encoded), CBOR_DEPTH);
  if (typeof decoded !== "object" || decoded === null) throw new Error("an attestation object that is not a CBOR map");
  const { fmt, attStmt, authData } = decoded as Record<string, unknown>;
  if (typeof fmt !== "string" || typeof attStmt !== "object" || attStmt === null || !(authData instanceof Uint8Array)) {
    throw new Error("an attestation object without fmt, attStmt or authData");
  }
  return { fmt, attStmt, authData };
}

/** The credential's public key in authenticator data (WebAuthn §6.5.1): the one CBOR item after its id, extensions left out. */
function coseKeyBytes(authData: Uint8Array, credentialIdLength: number): Uint8Array {
  const start = CREDENTIAL_ID_OFFSET + credentialIdLength;
  const [, size] = decodeCBORToNativeValue(authData.subarray(start), CBOR_DEPTH);
  return authData.slice(start, start + size);
}

/**
 * How a stored key checks a signature over a message (RFC 9053): ES256 on P-256 (the signature DER, as
 * WebAuthn §6.5.5 carries it), or RS256 (RSASSA-PKCS1-v1_5 with SHA-256). A key of any other kind, or not
 * COSE at all, throws: registration refuses it, and an assertion with it fails.
 */
function signatureCheckOf(coseKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
  const decoded = decodeCBORToNativeValueNoLeftoverBytes(coseKey, CBOR_DEPTH);
  if (typeof decoded !== "object" || decoded === null) throw new Error("a public key that is not a COSE map");
  const key = new COSEPublicKey(decoded);
  const algorithm = key.algorithm();
  if (algorithm === coseAlgorithmES256) {
    const { curve, x, y } = key.ec2();
    if (curve !== coseEllipticCurveP256) throw new Error(`an ES256 key on COSE curve ${curve}`);
    const publicKey = new ECDSAPublicKey(p256, x, y);
    return (message, signature) => verifyECDSASignature(publicKey, sha256Bytes(message), decodePKIXECDSASignature(signature));
  }
  if (algorithm === coseAlgorithmRS256) {
    const { n, e } = key.rsa();
    const publicKey = new RSAPublicKey(n, e);
    return (message, signature) => verifyRSASSAPKCS1v15Signature(publicKey, sha256ObjectIdentifier, sha256Bytes(message), signature);
  }
  throw new Error(`a key of COSE algorithm ${algorithm}`);
}

/**
 * The client data's checks but the challenge (WebAuthn §7.1 steps 7 and 9, §7.2 steps 11 and 13): the
 * ceremony's type, the region's origin exactly, and not from within another site's frame.
 */
function checkClientData(clientData: ClientData, type: ClientDataType, config: Config) {
  if (clientData.type !== type) throw new Error("client data of another ceremony");
  if (clientData.origin !== config.origin) throw new Error(`origin ${JSON.stringify(clientData.origin.slice(0, 100))}`);
  if (clientData.crossOrigin === true) throw new Error("made within another origin's frame");
}

/**
 * The authenticator data's checks (WebAuthn §7.1 steps 13–15, §7.2 steps 15–17): the region's relying
 * party, its person present, and verified when required.
 */
function checkAuthenticatorData(authenticatorData: AuthenticatorData, config: Config, userVerification: UserVerification) {
  if (!authenticatorData.verifyRelyingPartyIdHash(rpIdOf(config))) throw new Error("another relying party");
  if (!authenticatorData.userPresent) throw new Error("user not present");
  if (userVerification === "required" && !authenticatorData.userVerified) throw new Error("user not verified");
}

/**
 * A registration refused (another origin or relying party, a malformed answer, an attestation other than
 * `none`): its reason is logged, not said, beyond `message`.
 */
function unverifiable(reason: string, message = "Not a valid registration for this site") {
  return new AppError("validation_failed", {
    detail: "The passkey's answer could not be verified: make it again from new options",
    errors: [{ path: "response", message }],
    internal: `WebAuthn registration refused: ${reason}`,
  });
}

/**
 * What the browser needs to ask for a passkey (WebAuthn §5.5): for a known person (a second step), their
 * passkeys; for a sign-in with a passkey alone, none, so that the browser offers any discoverable passkey
 * of this site. The challenge is stored for the person, or for no one.
 */
export async function authenticationOptions(
  db: Database,
  config: Config,
  tenant: Tenant,
  who: { userId: string | null; userVerification: UserVerification },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options: PublicKeyCredentialRequestOptionsJSON = {
    challenge: newChallenge(),
    rpId: rpIdOf(config),
    allowCredentials: who.userId === null ? [] : (await passkeysOf(db, tenant.id, who.userId)).map(descriptorOf),
    timeout: WEBAUTHN_CHALLENGE_MS,
    userVerification: who.userVerification,
  };
  await db.insert(webauthnChallenges).values(await challengeRow(tenant.id, options.challenge, "authenticate", who.userId));
  return options;
}

/**
 * Verifies an assertion (WebAuthn §7.2) against `expected.challenge`, which the caller has spent: the
 * passkey is found by its credential id in this tenant only (rule T) and, with `expected.userId`, must be
 * that person's; a user handle, when the authenticator gives one, must be its owner's. Then
 * verifiedAssertion's checks. The counter and last use are moved on in one conditional UPDATE: a counter
 * that does not move forward (a cloned authenticator, or the same assertion twice at once) is refused,
 * unless it is always 0 (an authenticator that keeps none). Undefined for every refusal, alike.
 */
export async function verifyPasskeyAssertion(
  db: Database,
  config: Config,
  tenant: Tenant,
  response: AuthenticationResponseJSON,
  expected: { challenge: string; userId?: string; userVerification: UserVerification },
): Promise<{ userId: string; passkeyId: string } | undefined> {
  const passkey = await db
    .select()
    .from(passkeys)
    .where(and(eq(passkeys.tenantId, tenant.id), eq(passkeys.credentialId, response.id)))
    .get();
  if (!passkey || (expected.userId !== undefined && passkey.userId !== expected.userId)) return undefined;
  const { userHandle } = response.response;
  if (userHandle && userHandle !== encodeBase64urlNoPadding(userHandleOf(passkey.userId))) return undefined;
  let newCounter: number;
  try {
    newCounter = verifiedAssertion(config, response, expected, passkey.publicKey);
  } catch {
    return undefined;
  }
  const movedOn = await db
    .update(passkeys)
    .set({ counter: newCounter, lastUsedAt: new Date() })
    .where(and(eq(passkeys.id, passkey.id), newCounter === 0 ? eq(passkeys.counter, 0) : lt(passkeys.counter, newCounter)))
    .returning({ id: passkeys.id });
  return movedOn.length > 0 ? { userId: passkey.userId, passkeyId: passkey.id } : undefined;
}

/**
 * The checks of an assertion (WebAuthn §7.2 steps 11–20): its client data is a `get` at the region's origin
 * answering the expected challenge; its authenticator data is for the region's relying party, its person
 * present and verified as asked; the passkey's stored key signed authenticatorData ‖ SHA-256(clientDataJSON).
 * The authenticator's counter; throws for every refusal.
 */
function verifiedAssertion(
  config: Config,
  response: AuthenticationResponseJSON,
  expected: { challenge: string; userVerification: UserVerification },
  storedKey: string,
): number {
  if (response.id !== response.rawId) throw new Error("id and rawId differ");
  const clientDataJSON = decodeBase64urlIgnorePadding(response.response.clientDataJSON);
  const clientData = parseClientDataJSON(clientDataJSON);
  checkClientData(clientData, ClientDataType.Get, config);
  if (encodeBase64urlNoPadding(clientData.challenge) !== expected.challenge) throw new Error("another challenge");
  const authenticatorData = decodeBase64urlIgnorePadding(response.response.authenticatorData);
  const parsed = parseAuthenticatorData(authenticatorData);
  checkAuthenticatorData(parsed, config, expected.userVerification);
  const verify = signatureCheckOf(decodeBase64urlIgnorePadding(storedKey));
  const signed = createAssertionSignatureMessage(authenticatorData, clientDataJSON);
  if (!verify(signed, decodeBase64urlIgnorePadding(response.response.signature))) throw new Error("a signature the passkey's key did not make");
  return parsed.signatureCounter;
}

/** Renames one of the person's passkeys; undefined when the person has no such passkey. */
export function renamePasskey(db: Database, tenantId: string, userId: string, id: string, name: string): Promise<Passkey | undefined> {
  return db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId), eq(passkeys.tenantId, tenantId)))
    .returning()
    .get();
}

/** Removes one of the person's passkeys: it signs nobody in any more. False when the person has no such passkey. */
export async function removePasskey(db: Database, tenantId: string, userId: string, id: string): Promise<boolean> {
  const removed = await db
    .delete(passkeys)
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId), eq(passkeys.tenantId, tenantId)))
    .returning({ id: passkeys.id });
  return removed.length > 0;
}
