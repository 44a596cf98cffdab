// Signing keys rotate without signing anyone out: SIGNING_KEYS lists the region's keys newest first; the
// first signs, every one listed verifies and is published, and a key removed from the list verifies
// nothing any more.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import type { Bindings } from "../../src/config";
import worker from "../../src/index";
import { testEnv } from "../support/env";
import { eu } from "../support/regions";
import { createTenant } from "../support/tenants";
import { bearer, seedUser, tokensFor } from "../support/users";

const [oldKey] = JSON.parse(testEnv.SIGNING_KEYS) as [{ kid: string }];

async function newKey(kid: string) {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

/** The eu Worker deployed with another SIGNING_KEYS secret. */
async function euWith(keys: object[], path: string, init?: RequestInit) {
  const env: Bindings = { ...testEnv, SIGNING_KEYS: JSON.stringify(keys) };
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(eu.origin + path, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const kidOf = (jwt: string) => (JSON.parse(atob(jwt.split(".")[0]!.replaceAll("-", "+").replaceAll("_", "/"))) as { kid: string }).kid;

describe("signing key rotation", () => {
  it("S a token signed by the previous key still verifies after a new key is put first", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    const tokens = await tokensFor(eu, name, user.username);
    expect(kidOf(tokens.access_token)).toBe(oldKey.kid);

    const rotated = [await newKey("eu-test-2"), oldKey];
    expect((await euWith(rotated, `/t/${name}/me`, { headers: bearer(tokens.access_token) })).status).toBe(200);

    // New tokens are signed by the new key, and both keys are published.
    const signIn = await euWith(rotated, `/t/${name}/sign-in`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: user.username, password: user.password, clientId: "printid-mobile" }),
    });
    expect(kidOf(((await signIn.json()) as { access_token: string }).access_token)).toBe("eu-test-2");
    const jwks = (await (await euWith(rotated, `/t/${name}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(["eu-test-2", oldKey.kid]);
  });

  it("S once the previous key is removed, its tokens are refused", async () => {
    const { name, body } = await createTenant(eu);
    const user = await seedUser(eu, body.id);
    const tokens = await tokensFor(eu, name, user.username);
    const response = await euWith([await newKey("eu-test-3")], `/t/${name}/me`, { headers: bearer(tokens.access_token) });
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

    const rotated = [await newKey("eu-test-4"), oldKey];
    const renewed = await refreshWith(rotated, tokens.refresh_token);
    expect(renewed.status).toBe(200);
    const next = (await renewed.json()) as { refresh_token: string };
    // Its successor is signed with the new key: the old one can go.
    expect((await refreshWith([rotated[0]!], next.refresh_token)).status).toBe(200);

    const stale = await tokensFor(eu, name, user.username);
    expect((await refreshWith([await newKey("eu-test-5")], stale.refresh_token)).status).toBe(400);
  });
});
