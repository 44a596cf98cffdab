// private_key_jwt for device clients (issue 15; OpenID Connect Core §9, RFC 7523 §2.2 and §3, RFC 7521
// §4.2): a tenant's admin registers a device with its public keys instead of receiving a secret, and the
// device authenticates at /device/authorize and /token with a JWT it signs. Each claim's rule is pinned
// (signature, iss = sub, aud, exp and its 5-minute bound, nbf and iat with 30 s of skew, a single-use jti),
// with every refusal `invalid_client`, and the mixes RFC 6749 §2.3 forbids `invalid_request`. Holes closed:
// a private or symmetric key stored by printid, a replayed or long-lived assertion, a device of one tenant
// signing into another, a keyed device falling back to a secret, an app client taking an assertion.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { decodeJwt, exportJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { adminFixture, memberAuth, type AdminFixture } from "../support/admin";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { bindingsOf } from "../support/shards";
import { basicAuth, expectOAuthError, sha256Base64url } from "../support/tokens";
import { CLIENT_ID, type TokenResponse } from "../support/users";
import {
  assertionParams,
  clientAssertion,
  decide,
  deviceForm,
  deviceKey,
  lastPolledAgo,
  registerDevice,
  registerKeyDevice,
  registerWithKeys,
  DEVICE_CODE_GRANT,
  JWT_BEARER_ASSERTION,
  type DeviceAuthorizationBody,
  type DeviceKey,
} from "./support";

/** A tenant, and a device of it registered with one fresh key of `alg`. */
async function keyDevice(alg: DeviceKey["alg"] = "ES256", f?: AdminFixture) {
  const fixture = f ?? (await adminFixture());
  const key = await deviceKey(alg);
  return { f: fixture, key, id: await registerKeyDevice(fixture, key) };
}

/** The device asks for codes at /device/authorize, authenticated by `assertion`. */
function authorizeWith(f: AdminFixture, assertion: string, params: Record<string, string> = {}) {
  return deviceForm(f.region, f.tenant, "device/authorize", { ...params, ...assertionParams(assertion) }, {});
}

/** An invalid_client answer (RFC 6749 §5.2), for `reason`. */
async function expectInvalidClient(response: Response, reason: RegExp) {
  expect(response.status).toBe(401);
  expect(await response.json()).toEqual({ error: "invalid_client", error_description: expect.stringMatching(reason) });
}

/** The device's request at /device/authorize with this assertion: must be refused as invalid_client, for `reason`. */
async function expectRefused(f: AdminFixture, assertion: string, reason: RegExp) {
  await expectInvalidClient(await authorizeWith(f, assertion), reason);
}

describe("registration with a JWK Set (RFC 7523 §2.2, OpenID Connect Core §9)", () => {
  it("S RFC 7523 §2.2 a device registered with its public keys gets no secret; only the public members are kept; the listing says how each device authenticates", async () => {
    const f = await adminFixture();
    const key = await deviceKey("ES256");
    const response = await registerWithKeys(f, { keys: [{ ...key.jwk, key_ops: ["verify"], x5u: "https://example.com/x" }] });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ id: expect.any(String), name: "Lobby panel", kind: "panel", authMethod: "private_key_jwt", createdAt: expect.any(String) });
    const row = await f.region.db.prepare("SELECT secret_hash, jwks FROM device_clients WHERE id = ?").bind(body.id).first<{ secret_hash: string; jwks: string }>();
    expect(row?.secret_hash).toBe("");
    expect(JSON.parse(row!.jwks)).toEqual({ keys: [{ kty: "EC", crv: "P-256", x: key.jwk.x, y: key.jwk.y, kid: key.kid, alg: "ES256", use: "sig" }] });

    const secretDevice = await registerDevice(f);
    const listed = (await (await f.region.fetch(`/t/${f.tenant}/admin/devices`, { headers: f.auth })).json()) as { items: { id: string; authMethod: string }[] };
    expect(listed.items.map(({ id, authMethod }) => ({ id, authMethod }))).toEqual([
      { id: secretDevice.id, authMethod: "client_secret" },
      { id: body.id, authMethod: "private_key_jwt" },
    ]);
  });

  it("S RFC 7518 §6.2.2 a private key (its d) is refused: 400 validation_failed naming the key, nothing registered", async () => {
    const f = await adminFixture();
    const { privateKey } = await deviceKey("ES256");
    const problem = await problemOf(await registerWithKeys(f, { keys: [await exportJWK(privateKey)] }), 400, "validation_failed");
    expect(problem.errors).toEqual([{ path: "jwks.keys.0", message: "A private key: register its public half only" }]);
    const rsa = await deviceKey("RS256");
    const rsaProblem = await problemOf(await registerWithKeys(f, { keys: [rsa.jwk, await exportJWK(rsa.privateKey)] }), 400, "validation_failed");
    expect(rsaProblem.errors?.map((error) => error.path)).toEqual(["jwks.keys.1"]);
    const count = await f.region.db.prepare("SELECT count(*) AS n FROM device_clients WHERE tenant_id = ?").bind(f.tenantId).first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it("S RFC 7518 §6.4 a symmetric (oct) key is refused: a shared secret is what private_key_jwt avoids", async () => {
    const f = await adminFixture();
    const problem = await problemOf(await registerWithKeys(f, { keys: [{ kty: "oct", k: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA" }] }), 400, "validation_failed");
    expect(problem.errors).toEqual([{ path: "jwks.keys.0", message: expect.stringMatching(/symmetric/) }]);
  });

  it("S RFC 7517 §5 garbage is refused field by field, never with a 5xx: not a set, no keys, too many, another curve or kty, a point that does not import, a short RSA key, kids that clash", async () => {
    const f = await adminFixture();
    const ec = (await deviceKey("ES256")).jwk;
    const small = await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    );
    const cases: [unknown, string][] = [
      ["garbage", "jwks"],
      [{ keys: "garbage" }, "jwks.keys"],
      [{ keys: [] }, "jwks.keys"],
      [{ keys: ["garbage"] }, "jwks.keys.0"],
      [{ keys: Array.from({ length: 6 }, (_, i) => ({ ...ec, kid: `k${i}` })) }, "jwks.keys"],
      [{ keys: [{ ...ec, crv: "P-384" }] }, "jwks.keys.0.crv"],
      [{ keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }] }, "jwks.keys.0.kty"],
      [{ keys: [{ ...ec, x: "bm90IGEgcG9pbnQ", y: "bm90IGEgcG9pbnQ" }] }, "jwks.keys.0"],
      [{ keys: [{ ...ec, alg: "RS256" }] }, "jwks.keys.0.alg"],
      [{ keys: [{ ...ec, use: "enc" }] }, "jwks.keys.0.use"],
      [{ keys: [await exportJWK((small as CryptoKeyPair).publicKey)] }, "jwks.keys.0"],
      [{ keys: [ec, { ...ec }] }, "jwks.keys"],
    ];
    for (const [jwks, path] of cases) {
      const problem = await problemOf(await registerWithKeys(f, jwks), 400, "validation_failed");
      expect(problem.errors?.map((error) => error.path), JSON.stringify(jwks)).toEqual([path]);
    }
  });
});

describe("authentication by client assertion (RFC 7523 §2.2, RFC 7521 §4.2)", () => {
  it.each(["ES256", "RS256"] as const)(
    "P RFC 7523 §2.2 a device signing %s assertions asks for codes and polls the token endpoint, a fresh assertion each time, then refreshes",
    async (alg) => {
      const { f, key, id } = await keyDevice(alg);
      const started = await authorizeWith(f, await clientAssertion(f, id, key));
      expect(started.status, await started.clone().text()).toBe(200);
      const codes = (await started.json()) as DeviceAuthorizationBody;
      const pollOnce = async () =>
        deviceForm(f.region, f.tenant, "token", { grant_type: DEVICE_CODE_GRANT, device_code: codes.device_code, ...assertionParams(await clientAssertion(f, id, key)) }, {});
      await expectOAuthError(await pollOnce(), 400, "authorization_pending");
      expect((await decide(f, "approve", codes.user_code, await memberAuth(f))).status).toBe(200);
      await lastPolledAgo(f.region, codes.device_code, 6);
      const collected = await pollOnce();
      expect(collected.status, await collected.clone().text()).toBe(200);
      const tokens = (await collected.json()) as TokenResponse;
      expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: id, scope: "openid" });

      const refreshed = await deviceForm(
        f.region,
        f.tenant,
        "token",
        { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: id, ...assertionParams(await clientAssertion(f, id, key)) },
        {},
      );
      expect(refreshed.status, await refreshed.clone().text()).toBe(200);
      const listed = (await (await f.region.fetch(`/t/${f.tenant}/admin/devices`, { headers: f.auth })).json()) as { items: { lastSeenAt: string | null }[] };
      expect(listed.items[0]?.lastSeenAt).toEqual(expect.any(String));
    },
  );

  it("S RFC 7523 §3 aud may be the issuer itself or list it among others; a client_id sent beside the assertion must name the same device", async () => {
    const { f, key, id } = await keyDevice();
    const issuer = `${f.region.origin}/t/${f.tenant}`;
    expect((await authorizeWith(f, await clientAssertion(f, id, key, { aud: issuer }))).status).toBe(200);
    expect((await authorizeWith(f, await clientAssertion(f, id, key, { aud: ["https://elsewhere.example", `${issuer}/token`] }))).status).toBe(200);
    expect((await authorizeWith(f, await clientAssertion(f, id, key), { client_id: id })).status).toBe(200);
    await expectInvalidClient(await authorizeWith(f, await clientAssertion(f, id, key), { client_id: crypto.randomUUID() }), /client_id names another client/);
  });

  it("S RFC 7523 §3 an assertion signed by another key than the device's is invalid_client; so is one signed HS256, or not signed", async () => {
    const { f, id } = await keyDevice();
    await expectRefused(f, await clientAssertion(f, id, await deviceKey("ES256")), /signature does not verify/);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: id, sub: id, aud: `${f.region.origin}/t/${f.tenant}/token`, exp: now + 60, jti: crypto.randomUUID() };
    await expectRefused(f, await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("x".repeat(32))), /signed with ES256 or RS256/);
    const unsigned = `${btoa(JSON.stringify({ alg: "none" })).replaceAll("=", "")}.${btoa(JSON.stringify(claims)).replaceAll("=", "")}.`;
    await expectRefused(f, unsigned, /signed with ES256 or RS256/);
    await expectRefused(f, "not a JWT", /not a JWT naming its client/);
  });

  it("S RFC 7523 §3 an expired assertion is invalid_client, beyond 30 s of clock skew", async () => {
    const { f, key, id } = await keyDevice();
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(f, await clientAssertion(f, id, key, { iat: now - 120, exp: now - 60 }), /expired/);
    expect((await authorizeWith(f, await clientAssertion(f, id, key, { iat: now - 120, exp: now - 10 }))).status).toBe(200);
  });

  it("S RFC 7523 §3 an assertion without exp, or expiring more than 5 minutes ahead, is invalid_client", async () => {
    const { f, key, id } = await keyDevice();
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(f, await clientAssertion(f, id, key, { exp: undefined }), /exp claim/);
    await expectRefused(f, await clientAssertion(f, id, key, { exp: now + 3600 }), /at most 5 minutes/);
    await expectRefused(f, await clientAssertion(f, id, key, { exp: now + 400 }), /at most 5 minutes/);
    expect((await authorizeWith(f, await clientAssertion(f, id, key, { exp: now + 300 }))).status).toBe(200);
  });

  it("S RFC 7523 §3 an assertion not yet valid (nbf) or issued in the future (iat) is invalid_client", async () => {
    const { f, key, id } = await keyDevice();
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(f, await clientAssertion(f, id, key, { nbf: now + 120 }), /not valid yet/);
    await expectRefused(f, await clientAssertion(f, id, key, { iat: now + 120 }), /iat is in the future/);
    expect((await authorizeWith(f, await clientAssertion(f, id, key, { nbf: now + 10, iat: now + 10 }))).status).toBe(200);
  });

  it("S RFC 7523 §3 an aud that is not this tenant's issuer or token endpoint is invalid_client", async () => {
    const { f, key, id } = await keyDevice();
    const other = await adminFixture();
    await expectRefused(f, await clientAssertion(f, id, key, { aud: `${other.region.origin}/t/${other.tenant}/token` }), /aud must be/);
    await expectRefused(f, await clientAssertion(f, id, key, { aud: `${f.region.origin}/t/${f.tenant}/revoke` }), /aud must be/);
    await expectRefused(f, await clientAssertion(f, id, key, { aud: undefined }), /aud must be/);
  });

  it("S RFC 7523 §3 iss and sub must both be the device's id", async () => {
    const { f, key, id } = await keyDevice();
    const another = await registerKeyDevice(f, key);
    await expectRefused(f, await clientAssertion(f, id, key, { iss: another }), /iss and sub/);
    await expectRefused(f, await clientAssertion(f, id, key, { sub: another }), /iss and sub/);
    await expectRefused(f, await clientAssertion(f, id, key, { iss: undefined }), /iss and sub/);
  });

  it("S OpenID Connect Core §9 an assertion without a jti is invalid_client", async () => {
    const { f, key, id } = await keyDevice();
    await expectRefused(f, await clientAssertion(f, id, key, { jti: undefined }), /jti claim/);
    await expectRefused(f, await clientAssertion(f, id, key, { jti: "" }), /jti claim/);
  });

  it("S RFC 7523 §3 a replayed jti is refused, even in a new assertion, and at another endpoint; the ledger keeps only its hash", async () => {
    const { f, key, id } = await keyDevice();
    const jti = crypto.randomUUID();
    const assertion = await clientAssertion(f, id, key, { jti });
    expect((await authorizeWith(f, assertion)).status).toBe(200);
    await expectRefused(f, assertion, /used already/);
    await expectRefused(f, await clientAssertion(f, id, key, { jti, exp: Math.floor(Date.now() / 1000) + 120 }), /used already/);
    await expectInvalidClient(
      await deviceForm(f.region, f.tenant, "token", { grant_type: DEVICE_CODE_GRANT, device_code: "x".repeat(43), ...assertionParams(assertion) }, {}),
      /used already/,
    );
    const rows = await f.region.db.prepare("SELECT jti_hash FROM used_client_assertions WHERE tenant_id = ?").bind(f.tenantId).all<{ jti_hash: string }>();
    expect(rows.results).toEqual([{ jti_hash: await sha256Base64url(`${id}\0${jti}`) }]);
    // Another device's jti of the same value is its own.
    const other = await registerKeyDevice(f, key);
    expect((await authorizeWith(f, await clientAssertion(f, other, key, { jti }))).status).toBe(200);
  });

  it("S RFC 7523 §3 of two concurrent requests with one assertion, exactly one authenticates", async () => {
    const { f, key, id } = await keyDevice();
    const assertion = await clientAssertion(f, id, key);
    const statuses = (await Promise.all([authorizeWith(f, assertion), authorizeWith(f, assertion), authorizeWith(f, assertion)])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 401, 401]);
  });

  it("T a device of one tenant is unknown at another's endpoints, even with an assertion addressed there", async () => {
    const { f, key, id } = await keyDevice();
    const other = await adminFixture();
    await expectRefused(other, await clientAssertion(other, id, key), /Unknown client/);
    await expectRefused(other, await clientAssertion(f, id, key), /Unknown client/);
    // Still good at home.
    expect((await authorizeWith(f, await clientAssertion(f, id, key))).status).toBe(200);
  });

  it("P RFC 7521 §4.2 a revoked device's assertions are invalid_client", async () => {
    const { f, key, id } = await keyDevice();
    expect((await f.region.fetch(`/t/${f.tenant}/admin/devices/${id}/revoke`, { method: "POST", headers: f.auth })).status).toBe(204);
    await expectRefused(f, await clientAssertion(f, id, key), /Unknown client/);
  });

  it("S RFC 6749 §2.3 a device registered with keys has no secret to present: Basic, client_secret or no proof at all is invalid_client", async () => {
    const { f, id } = await keyDevice();
    const assertionNeeded = /authenticates with a client assertion/;
    await expectInvalidClient(await deviceForm(f.region, f.tenant, "device/authorize", {}, basicAuth(id, "")), assertionNeeded);
    await expectInvalidClient(await deviceForm(f.region, f.tenant, "device/authorize", {}, basicAuth(id, "guess")), assertionNeeded);
    await expectInvalidClient(await deviceForm(f.region, f.tenant, "device/authorize", { client_id: id, client_secret: "guess" }, {}), assertionNeeded);
    await expectInvalidClient(await deviceForm(f.region, f.tenant, "device/authorize", { client_id: id }, {}), assertionNeeded);
  });

  it("S RFC 6749 §2.3 a secret and an assertion in one request, in the body or by Basic, is invalid_request", async () => {
    const { f, key, id } = await keyDevice();
    const withSecret = { client_secret: "anything", ...assertionParams(await clientAssertion(f, id, key)) };
    await expectOAuthError(await deviceForm(f.region, f.tenant, "device/authorize", withSecret, {}), 400, "invalid_request");
    const assertion = await clientAssertion(f, id, key);
    await expectOAuthError(await deviceForm(f.region, f.tenant, "device/authorize", assertionParams(assertion), basicAuth(id, "anything")), 400, "invalid_request");
    // Neither spent the assertion.
    expect((await authorizeWith(f, assertion)).status).toBe(200);
  });

  it("S RFC 7521 §4.2 another client_assertion_type, or a type without its assertion, is invalid_client", async () => {
    const { f, key, id } = await keyDevice();
    const assertion = await clientAssertion(f, id, key);
    const saml = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer";
    await expectInvalidClient(
      await deviceForm(f.region, f.tenant, "device/authorize", { client_assertion_type: saml, client_assertion: assertion }, {}),
      /client_assertion_type must be/,
    );
    await expectInvalidClient(
      await deviceForm(f.region, f.tenant, "device/authorize", { client_assertion_type: JWT_BEARER_ASSERTION, client_id: id }, {}),
      /Missing client_assertion/,
    );
    await expectInvalidClient(await deviceForm(f.region, f.tenant, "device/authorize", { client_assertion: assertion }, {}), /client_assertion_type must be/);
  });

  it("S RFC 7521 §4.2 only a device registered with keys takes assertions: not a secret's device, not the app's client", async () => {
    const f = await adminFixture();
    const key = await deviceKey();
    const secretDevice = await registerDevice(f);
    await expectRefused(f, await clientAssertion(f, secretDevice.id, key), /authenticates with its secret/);
    await expectInvalidClient(
      await deviceForm(f.region, f.tenant, "token", { grant_type: "refresh_token", refresh_token: "x", ...assertionParams(await clientAssertion(f, CLIENT_ID, key)) }, {}),
      /does not authenticate with a client assertion/,
    );
  });
});

describe("the jti ledger's clean-up, and discovery", () => {
  it("S the daily clean-up deletes spent jtis past their assertion's expiry, and keeps the others", async () => {
    const { f, key, id } = await keyDevice();
    const [old, fresh] = [crypto.randomUUID(), crypto.randomUUID()];
    for (const jti of [old, fresh]) expect((await authorizeWith(f, await clientAssertion(f, id, key, { jti }))).status).toBe(200);
    await f.region.db
      .prepare("UPDATE used_client_assertions SET expires_at = ? WHERE jti_hash = ?")
      .bind(Date.now() - 1000, await sha256Base64url(`${id}\0${old}`))
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), bindingsOf(eu), ctx);
    await waitOnExecutionContext(ctx);
    const left = await f.region.db.prepare("SELECT jti_hash FROM used_client_assertions WHERE tenant_id = ?").bind(f.tenantId).all<{ jti_hash: string }>();
    expect(left.results.map((row) => row.jti_hash)).toEqual([await sha256Base64url(`${id}\0${fresh}`)]);
  });

  it("S RFC 8414 §2 discovery lists private_key_jwt and its algorithms for the token and revocation endpoints", async () => {
    const f = await adminFixture();
    const metadata = (await (await f.region.fetch(`/t/${f.tenant}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    for (const endpoint of ["token", "revocation"]) {
      expect(metadata[`${endpoint}_endpoint_auth_methods_supported`]).toContain("private_key_jwt");
      expect(metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`]).toEqual(["ES256", "RS256"]);
    }
  });
});
