import * as v from "valibot";

/**
 * WebAuthn's objects as they travel in JSON (WebAuthn Level 3: what `PublicKeyCredential.toJSON()` gives,
 * and what @simplewebauthn/browser sends), bounded: a new passkey, and an assertion (a passkey sign-in, or
 * a second step's `webauthnResponse`).
 */

/** WebAuthn's bytes as JSON carries them: base64url, within a bound. */
const base64url = (maxLength: number) => v.pipe(v.string(), v.maxLength(maxLength), v.regex(/^[A-Za-z0-9_-]*$/, "Not base64url"));
/** A credential id is at most 1023 bytes (WebAuthn §5.8.3): 1364 base64url characters. */
const CredentialId = v.pipe(base64url(1364), v.minLength(1));

const credentialFields = {
  id: CredentialId,
  rawId: CredentialId,
  type: v.literal("public-key"),
  authenticatorAttachment: v.optional(v.picklist(["platform", "cross-platform"])),
  clientExtensionResults: v.optional(v.looseObject({}), {}),
};

export const RegistrationResponse = v.pipe(
  v.object({
    ...credentialFields,
    response: v.object({
      clientDataJSON: base64url(4096),
      attestationObject: base64url(16384),
      transports: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(32))), v.maxLength(10))),
    }),
  }),
  v.description("The new credential, as `PublicKeyCredential.toJSON()` gives it after `navigator.credentials.create()`"),
  v.metadata({ ref: "WebAuthnRegistrationResponse" }),
);

/** An assertion, as `PublicKeyCredential.toJSON()` gives it after `navigator.credentials.get()`: also the second step's `webauthnResponse`. */
export const AuthenticationResponse = v.pipe(
  v.object({
    ...credentialFields,
    response: v.object({
      clientDataJSON: base64url(4096),
      authenticatorData: base64url(4096),
      signature: base64url(1024),
      userHandle: v.optional(base64url(128)),
    }),
  }),
  v.description("The assertion, as `PublicKeyCredential.toJSON()` gives it after `navigator.credentials.get()`"),
  v.metadata({ ref: "WebAuthnAuthenticationResponse" }),
);
