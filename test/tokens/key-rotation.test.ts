// Signing keys rotate without signing anyone out: SIGNING_KEYS lists the region's keys newest first; the
// first of each kind (EC for ES256, RSA for RS256) signs, every one listed verifies and is published, and a
// key removed from the list verifies nothing any more. A secret without a key of each kind is refused.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import type { Bindings } from "../../src/config";
import worker from "../../src/index";
import { signingKeys } from "../../src/tokens/keys";
import { testEnv } from "../support/env";
import { eu } from "../support/regions";
import { createTenant } from "../support/tenants";
import { bearer, seedUser, tokensFor } from "../support/users";

type Jwk = { kid: string; kty: string };
const deployed = JSON.parse(testEnv.SIGNING_KEYS) as Jwk[];
const oldKey = deployed.find((key) => key.kty === "EC")!;
const oldRsaKey = deployed.find((key) => key.kty === "RSA")!;

async function newKey(kid: string, alg: "ES256" | "RS256" = "ES256"): Promise<Jwk> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid } as Jwk;
}

/** The eu Worker deployed with another SIGNING_KEYS secret. */
async function euWith(keys: object[], path: string, init?: RequestInit) {
  const env: Bindings = { ...testEnv, SIGNING_KEYS: JSON.stringify(keys) };
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(eu.origin + path, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;

describe("signing key rotation", () => {
  it("S a token signed by the previous key still verifies after a new key is put first", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    const tokens = await tokensFor(eu, name, user.username);
    expect(kidOf(tokens.access_token)).toBe(oldKey.kid);

    const rotated = [await newKey("eu-test-2"), oldKey, oldRsaKey];
    expect((await euWith(rotated, `/t/${name}/me`, { headers: bearer(tokens.access_token) })).status).toBe(200);

    // New tokens are signed by the new key, and both keys are published.
    const signIn = await euWith(rotated, `/t/${name}/sign-in`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: user.username, password: user.password, clientId: "printid-mobile" }),
    });
    expect(kidOf(((await signIn.json()) as { access_token: string }).access_token)).toBe("eu-test-2");
    const jwks = (await (await euWith(rotated, `/t/${name}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(["eu-test-2", oldKey.kid, oldRsaKey.kid]);
  });

  it("S once the previous key is removed, its tokens are refused", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    const tokens = await tokensFor(eu, name, user.username);
    const response = await euWith([await newKey("eu-test-3"), oldRsaKey], `/t/${name}/me`, { headers: bearer(tokens.access_token) });
    expect(response.status).toBe(401);
  });

  it("S a refresh token minted before a rotation still refreshes while the old key is listed, and no longer once it is removed", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    const tokens = await tokensFor(eu, name, user.username);
    const refreshWith = (keys: object[], refreshToken: string) =>
      euWith(keys, `/t/${name}/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: "printid-mobile" }),
      });

    const rotated = [await newKey("eu-test-4"), oldKey, oldRsaKey];
    const renewed = await refreshWith(rotated, tokens.refresh_token);
    expect(renewed.status).toBe(200);
    const next = (await renewed.json()) as { refresh_token: string };
    // Its successor is signed with the new key: the old one can go.
    expect((await refreshWith([rotated[0]!, oldRsaKey], next.refresh_token)).status).toBe(200);

    const stale = await tokensFor(eu, name, user.username);
    expect((await refreshWith([await newKey("eu-test-5"), oldRsaKey], stale.refresh_token)).status).toBe(400);
  });

  it("S OIDC Core §10.1.1 an RSA key put first signs the new ID tokens (RS256); both RSA keys are published until the old one goes", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    const rotated = [oldKey, await newKey("eu-test-rsa-2", "RS256"), oldRsaKey];
    const signIn = await euWith(rotated, `/t/${name}/sign-in`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: user.username, password: user.password, clientId: "printid-mobile" }),
    });
    const tokens = (await signIn.json()) as { access_token: string; id_token: string };
    expect(decodeProtectedHeader(tokens.id_token)).toMatchObject({ alg: "RS256", kid: "eu-test-rsa-2" });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: "ES256", kid: oldKey.kid });
    const jwks = (await (await euWith(rotated, `/t/${name}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual([oldKey.kid, "eu-test-rsa-2", oldRsaKey.kid]);
  });
});

describe("the SIGNING_KEYS secret", () => {
  const weakRsaKey = async () => {
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    return { ...(await exportJWK(pair.privateKey)), kid: "weak-rsa" };
  };

  it.each<[string, () => Promise<object[]>, RegExp]>([
    ["EC keys only", async () => [oldKey], /at least one EC P-256 key .* and one RSA key of 2048 bits or more/],
    ["RSA keys only", async () => [oldRsaKey], /at least one EC P-256 key .* and one RSA key of 2048 bits or more/],
    ["an RSA key of 1024 bits", async () => [oldKey, await weakRsaKey()], /key 1\.n: fewer than 2048 bits/],
    ["two keys under one kid", async () => [oldKey, { ...oldRsaKey, kid: oldKey.kid }], /each key needs its own kid/],
    ["a public key", async () => [{ ...oldKey, d: undefined }, oldRsaKey], /key 0\.d: /],
  ])("S a secret with %s is refused with a clear error, naming no key material", async (_what, keys, message) => {
    const secret = JSON.stringify(await keys());
    const refused = await signingKeys(secret).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/^SIGNING_KEYS: /);
    expect((refused as Error).message).toMatch(message);
    for (const key of JSON.parse(secret) as { d?: string }[]) if (key.d) expect((refused as Error).message).not.toContain(key.d);
  });
});
