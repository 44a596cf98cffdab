import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { COSEALG, decodeClientDataJSON, isoBase64URL, isoUint8Array } from "@simplewebauthn/server/helpers";
import { and, count, desc, eq, gt, isNull, lt } from "drizzle-orm";
import type { Config } from "../config";
import { sha256 } from "../crypto/secrets";
import type { Database } from "../db/client";
import { uniqueViolation } from "../db/errors";
import { deleteSome, type Pruner } from "../db/prune";
import { passkeys, webauthnChallenges, type Tenant, type UserProfile } from "../db/schema";
import { AppError } from "../http/errors";
import { validationFailed } from "../http/validation";

/**
 * Passkeys (WebAuthn, issue 16): a person's named credentials, several each, which sign them in alone or
 * prove a second factor. The relying party is the region: its id is the host of the region's origin, so a
 * passkey made in one region is never valid in the other, and a passkey is found only within its tenant
 * (rule T). Every challenge is single use and lives minutes; @simplewebauthn/server does the checking of
 * what the authenticator signed, none of it is done by hand here.
 */

export type Passkey = typeof passkeys.$inferSelect;
type ChallengePurpose = (typeof webauthnChallenges.$inferSelect)["purpose"];

/** How long a person has between asking for options and answering them. */
export const WEBAUTHN_CHALLENGE_MS = 5 * 60_000;
/**
 * A person's passkeys at most (rule H: storage per person is bounded): said when options are asked for,
 * before an authenticator makes a credential, and held when one is kept.
 */
export const MAX_PASSKEYS_PER_PERSON = 20;
export const MAX_PASSKEY_NAME_LENGTH = 64;

/** ES256 and RS256: what platform authenticators and security keys make (EdDSA and ML-DSA are left out). */
const ALGORITHMS = [COSEALG.ES256, COSEALG.RS256];

/**
 * What an authenticator must prove of the person: a passkey that signs in alone must have checked them
 * itself (PIN, biometrics: `required`); one that follows a password may have been only touched (`preferred`).
 */
export type UserVerification = "required" | "preferred";

const rpIdOf = (config: Config) => new URL(config.origin).hostname;

/** The user handle a passkey keeps of its person (WebAuthn §5.4.3): the user's id, which says nothing of them. */
const userHandleOf = (userId: string) => isoUint8Array.fromUTF8String(userId);

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

/** The challenge a response answers, as its client data says; undefined when that cannot even be read. */
export function challengeOf(response: { response: { clientDataJSON: string } }): string | undefined {
  try {
    const { challenge } = decodeClientDataJSON(response.response.clientDataJSON);
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

const descriptorOf = (passkey: Passkey) => ({ id: passkey.credentialId, transports: passkey.transports ?? undefined });

/**
 * What the person's browser needs to make a passkey (WebAuthn §5.4): discoverable (it signs in with no
 * username typed), user verification preferred, no attestation, their passkeys excluded so that one
 * authenticator is not registered twice.
 */
export async function registrationOptions(
  db: Database,
  config: Config,
  tenant: Tenant,
  user: UserProfile,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const held = await passkeysOf(db, tenant.id, user.id);
  refuseBeyondLimit(held.length);
  const options = await generateRegistrationOptions({
    rpName: tenant.displayName,
    rpID: rpIdOf(config),
    userName: user.username,
    userID: userHandleOf(user.id),
    userDisplayName: `${user.firstName ?? ""} ${user.lastName ?? ""}`.trim() || user.username,
    timeout: WEBAUTHN_CHALLENGE_MS,
    attestationType: "none",
    excludeCredentials: held.map(descriptorOf),
    authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
    supportedAlgorithmIDs: ALGORITHMS,
  });
  await db.insert(webauthnChallenges).values(await challengeRow(tenant.id, options.challenge, "register", user.id));
  return options;
}

/**
 * Verifies the browser's answer to registrationOptions and keeps the passkey under `name`: the challenge
 * must be one of the person's, open, and is spent; the origin and relying party must be the region's.
 * Every refusal is `400 validation_failed`, a credential the tenant already holds included.
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
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: config.origin,
      expectedRPID: rpIdOf(config),
      requireUserVerification: false,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (error) {
    throw unverifiable(error);
  }
  if (!verification.verified) throw unverifiable(undefined);
  const [held] = await db.select({ n: count() }).from(passkeys).where(and(eq(passkeys.userId, userId), eq(passkeys.tenantId, tenant.id)));
  refuseBeyondLimit(held?.n ?? 0);
  const { credential } = verification.registrationInfo;
  const passkey: Passkey = {
    id: crypto.randomUUID(),
    tenantId: tenant.id,
    userId,
    name,
    credentialId: credential.id,
    publicKey: isoBase64URL.fromBuffer(credential.publicKey),
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

/** A registration the library refused (another origin or relying party, a malformed answer): its reason is logged, not said. */
function unverifiable(error: unknown) {
  return new AppError("validation_failed", {
    detail: "The passkey's answer could not be verified: make it again from new options",
    errors: [{ path: "response", message: "Not a valid registration for this site" }],
    internal: error instanceof Error ? `WebAuthn registration refused: ${error.message}` : "WebAuthn registration not verified",
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
  const options = await generateAuthenticationOptions({
    rpID: rpIdOf(config),
    allowCredentials: who.userId === null ? [] : (await passkeysOf(db, tenant.id, who.userId)).map(descriptorOf),
    userVerification: who.userVerification,
    timeout: WEBAUTHN_CHALLENGE_MS,
  });
  await db.insert(webauthnChallenges).values(await challengeRow(tenant.id, options.challenge, "authenticate", who.userId));
  return options;
}

/**
 * Verifies an assertion (WebAuthn §7.2) against `expected.challenge`, which the caller has spent: the
 * passkey is found by its credential id in this tenant only (rule T) and, with `expected.userId`, must be
 * that person's; a user handle, when the authenticator gives one, must be its owner's. Then the signature,
 * origin, relying party, presence and (as asked) verification are the library's to check. The counter
 * and last use are moved on in one conditional UPDATE: a counter that does not move forward (a cloned
 * authenticator, or the same assertion twice at once) is refused. Undefined for every refusal, alike.
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
  if (userHandle && userHandle !== isoBase64URL.fromBuffer(userHandleOf(passkey.userId))) return undefined;
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: expected.challenge,
      expectedOrigin: config.origin,
      expectedRPID: rpIdOf(config),
      credential: { id: passkey.credentialId, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: passkey.counter },
      requireUserVerification: expected.userVerification === "required",
    });
  } catch {
    return undefined;
  }
  if (!verification.verified) return undefined;
  const { newCounter } = verification.authenticationInfo;
  const movedOn = await db
    .update(passkeys)
    .set({ counter: newCounter, lastUsedAt: new Date() })
    .where(and(eq(passkeys.id, passkey.id), newCounter === 0 ? eq(passkeys.counter, 0) : lt(passkeys.counter, newCounter)))
    .returning({ id: passkeys.id });
  return movedOn.length > 0 ? { userId: passkey.userId, passkeyId: passkey.id } : undefined;
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
