// A software authenticator, with the browser around it: the other party of WebAuthn in the passkey tests.
// It answers printid's options as a platform authenticator would (an ES256 key pair per credential, kept in
// WebCrypto; `none` attestation; a signature counter), and lets a test play a broken or hostile one: no user
// verification, an old counter, another key, another origin or relying party, another user handle.
import { encodeCBOR, type CBORType } from "@levischuck/tiny-cbor";
import { base64url } from "jose";

/** Authenticator data flags (WebAuthn §6.1): user present, user verified, backup eligible and state, attested data. */
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

/** What the authenticator reads of the creation options (PublicKeyCredentialCreationOptionsJSON). */
export interface CreationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials: { id: string }[];
}

/** What it reads of the request options (PublicKeyCredentialRequestOptionsJSON). */
export interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

/** What a test may change in an answer. */
export interface Tweaks {
  /** The page's origin, as the browser writes it in the client data; the credential's own by default. */
  origin?: string;
  /** The relying party whose hash the authenticator writes in its data; the options' by default. */
  rpId?: string;
  /** Whether the authenticator verified its person (PIN, biometrics); true by default. */
  userVerified?: boolean;
  /** The signature counter to send instead of the next one (an old one: a clone; 0: one that keeps none). */
  counter?: number;
  /** A key to sign with instead of the credential's. */
  signingKey?: CryptoKey;
  /** An assertion's user handle instead of the one kept at creation; null sends none. */
  userHandle?: string | null;
}

export interface RegistrationResponse {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment: "platform";
}

export interface AuthenticationResponse {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment: "platform";
}

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

/** A fresh ES256 key pair, as an authenticator makes one per credential. */
export async function newSigningKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(P256, false, ["sign", "verify"])) as CryptoKeyPair;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));

function concat(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

const uint32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const uint16 = (n: number) => new Uint8Array([n >>> 8, n & 0xff]);

/** The credential's public key as COSE (RFC 9053 §7.1.1): EC2, ES256, P-256, x and y. */
async function coseKeyOf(publicKey: CryptoKey): Promise<Uint8Array> {
  const jwk = (await crypto.subtle.exportKey("jwk", publicKey)) as JsonWebKey;
  const key = new Map<number, CBORType>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, base64url.decode(jwk.x!)],
    [-3, base64url.decode(jwk.y!)],
  ]);
  return encodeCBOR(key);
}

/** One DER INTEGER (X.690 §8.3) of an unsigned big-endian number: no leading zeros, but a zero before a high bit. */
function derInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.slice(start);
  const value = trimmed[0]! & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
  return concat(new Uint8Array([0x02, value.length]), value);
}

/** WebCrypto's ECDSA signature (r‖s, IEEE P1363) as WebAuthn carries it: DER, SEQUENCE { r, s } (WebAuthn §6.5.5). */
function derSignature(p1363: Uint8Array): Uint8Array {
  const half = p1363.length / 2;
  const body = concat(derInteger(p1363.slice(0, half)), derInteger(p1363.slice(half)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

/** The client data the browser makes (WebAuthn §5.8.1), base64url, and its bytes. */
function clientData(type: "webauthn.create" | "webauthn.get", challenge: string, origin: string) {
  const bytes = utf8(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  return { bytes, json: base64url.encode(bytes) };
}

/** One passkey on the software authenticator: its id, its key pair, its counter, and the user handle it keeps. */
export class SoftwarePasskey {
  /** The signature counter, moved on by each assertion. */
  counter = 0;
  /** The user handle of the options it was made for. */
  userHandle: string | undefined;

  private constructor(
    readonly id: string,
    private readonly keys: CryptoKeyPair,
    readonly origin: string,
  ) {}

  /** A new passkey for the site at `origin` (a region's), with a random 32-byte credential id. */
  static async create(origin: string): Promise<SoftwarePasskey> {
    return new SoftwarePasskey(base64url.encode(crypto.getRandomValues(new Uint8Array(32))), await newSigningKeys(), origin);
  }

  private flags(tweaks: Tweaks, more: number) {
    return new Uint8Array([UP | (tweaks.userVerified === false ? 0 : UV) | BE | BS | more]);
  }

  /** The answer of navigator.credentials.create() for these options, with `none` attestation. */
  async attestation(options: CreationOptions, tweaks: Tweaks = {}): Promise<RegistrationResponse> {
    this.userHandle = options.user.id;
    const id = base64url.decode(this.id);
    const authenticatorData = concat(
      await sha256(utf8(tweaks.rpId ?? options.rp.id)),
      this.flags(tweaks, AT),
      uint32(tweaks.counter ?? this.counter),
      new Uint8Array(16), // AAGUID: none said
      uint16(id.length),
      id,
      await coseKeyOf(this.keys.publicKey),
    );
    const attestationObject = new Map<string, CBORType>([
      ["fmt", "none"],
      ["attStmt", new Map()],
      ["authData", authenticatorData],
    ]);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: clientData("webauthn.create", options.challenge, tweaks.origin ?? this.origin).json,
        attestationObject: base64url.encode(encodeCBOR(attestationObject)),
        transports: ["internal", "hybrid"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** The answer of navigator.credentials.get() for these options: the counter moved on unless `tweaks.counter` says. */
  async assertion(options: RequestOptions, tweaks: Tweaks = {}): Promise<AuthenticationResponse> {
    if (tweaks.counter === undefined) this.counter += 1;
    const authenticatorData = concat(
      await sha256(utf8(tweaks.rpId ?? options.rpId ?? new URL(this.origin).hostname)),
      this.flags(tweaks, 0),
      uint32(tweaks.counter ?? this.counter),
    );
    const data = clientData("webauthn.get", options.challenge, tweaks.origin ?? this.origin);
    const signed = concat(authenticatorData, await sha256(data.bytes));
    const p1363 = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, tweaks.signingKey ?? this.keys.privateKey, signed));
    const userHandle = tweaks.userHandle === undefined ? this.userHandle : (tweaks.userHandle ?? undefined);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: data.json,
        authenticatorData: base64url.encode(authenticatorData),
        signature: base64url.encode(derSignature(p1363)),
        ...(userHandle === undefined ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}
