// Rule P on every authenticated request, through GET /t/{tenant}/me: the bearer token must be an ES256
// access token signed by one of this region's published keys, for this tenant's issuer and a registered
// client, unexpired; then the tenant must exist (the same tenant, not one re-created under its name) and be
// enabled, the session must be live and the user must exist and be active. State changes take effect at the
// very next request with the same token. Holes closed: forged, tampered, downgraded (alg none, HS256) or
// foreign-key tokens; tokens of another tenant or region; a deactivated user, revoked session or deleted
// account that keeps working until its token expires. Also POST /t/{tenant}/revoke (RFC 7009), which
// answers 200 whatever it is given and revokes only sessions of its own tenant.
// (That the policy costs one D1 round trip is not observable from here: the benchmark covers it.)
import { base64url, decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { sessions, tenants, users } from "../../src/db/schema";
import { testEnv } from "../support/env";
import { problemOf } from "../support/problems";
import { eu, us, type Region } from "../support/regions";
import { createTenant, json } from "../support/tenants";
import { revoke } from "../support/tokens";
import { bearer, seedIdentity, seedUser, signedInUser, tokensFor } from "../support/users";

type SigningKey = { kid: string; key: CryptoKey; jwk: JWK };

/** A region's private signing key, from the secret the Worker holds (a JSON array of private JWKs). */
async function signingKeyOf(secret: string): Promise<SigningKey> {
  const [jwk] = JSON.parse(secret) as (JWK & { kid: string })[];
  return { kid: jwk!.kid, key: (await importJWK({ ...jwk!, alg: "ES256" }, "ES256")) as CryptoKey, jwk: jwk! };
}
const euKey = () => signingKeyOf(testEnv.SIGNING_KEYS);
const usKey = () => signingKeyOf(testEnv.SIGNING_KEYS_US);

function me(region: Region, tenant: string, headers: Record<string, string>) {
  return region.fetch(`/t/${tenant}/me`, { headers });
}

async function expectUnauthorized(response: Response) {
  expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
  await problemOf(response, 401, "unauthorized");
}

/** The token's claims, changed, signed again (by the eu key unless told otherwise) with an access token's header. */
async function resign(
  token: string,
  changes: { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: SigningKey } = {},
): Promise<string> {
  const key = changes.key ?? (await euKey());
  return new SignJWT({ ...decodeJwt(token), ...changes.claims })
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: key.kid, ...changes.header })
    .sign(key.key);
}

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));
const segments = (token: string) => token.split(".") as [string, string, string];

describe("tokens remembered as verified", () => {
  // The isolate remembers a verified token so as not to check its signature on every request: that
  // memory must end with the token's own life, and never stand in for rule P's look-up.
  it("P a remembered token is refused once it expires", async () => {
    const { name, tokens } = await signedInUser();
    const shortLived = await resign(tokens.access_token, { claims: { exp: Math.floor(Date.now() / 1000) + 2 } });
    expect((await me(eu, name, bearer(shortLived))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await expectUnauthorized(await me(eu, name, bearer(shortLived)));
  });

  it("P a remembered token is still checked against its session on every request", async () => {
    const { name, tokens } = await signedInUser();
    expect((await me(eu, name, bearer(tokens.access_token))).status).toBe(200);
    expect((await revoke(eu, name, tokens.refresh_token)).status).toBe(200);
    await expectUnauthorized(await me(eu, name, bearer(tokens.access_token)));
  });
});

describe("a valid token", () => {
  it("P answers 200 with the contract's fields of the signed-in user", async () => {
    const { name, user, tokens } = await signedInUser();
    const response = await me(eu, name, bearer(tokens.access_token));
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.json()).toEqual({
      id: user.id,
      username: user.username,
      email: user.email,
      emailVerified: false,
      firstName: "Test",
      lastName: "User",
      displayName: "Test User",
      kind: "work",
      active: true,
      roles: [],
      identities: [],
    });
  });

  it("T the tenant name in the path is case-insensitive, as the issuer is", async () => {
    const { name, user, tokens } = await signedInUser();
    const response = await me(eu, name.toUpperCase(), bearer(tokens.access_token));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id });
  });

  it("P lists the user's roles and linked providers", async () => {
    const { name, body } = await createTenant(eu);
    const admin = await seedUser(eu, body.id, { roles: ["admin"] });
    await seedIdentity(eu, { tenantId: body.id, userId: admin.id, provider: "google", subject: `google-${crypto.randomUUID()}`, email: admin.email });
    const tokens = await tokensFor(eu, name, admin.username);
    expect(await (await me(eu, name, bearer(tokens.access_token))).json()).toMatchObject({
      id: admin.id,
      roles: ["admin"],
      identities: ["google"],
    });
  });

  it("P the token re-signed unchanged by the region's key is accepted (the forgeries below differ only as named)", async () => {
    const { name, tokens } = await signedInUser();
    expect((await me(eu, name, bearer(await resign(tokens.access_token)))).status).toBe(200);
  });
});

describe("no token or not a token", () => {
  it.each<[string, Record<string, string>]>([
    ["no Authorization header", {}],
    ["an empty bearer", { Authorization: "Bearer " }],
    ["the scheme alone", { Authorization: "Bearer" }],
    ["another scheme", { Authorization: "Basic dXNlcjpwYXNz" }],
    ["garbage", { Authorization: "Bearer garbage" }],
    ["three garbage segments", { Authorization: "Bearer aaa.bbb.ccc" }],
    ["two tokens", { Authorization: "Bearer aaa.bbb.ccc aaa.bbb.ccc" }],
  ])("P %s is 401 unauthorized with a Bearer challenge", async (_what, headers) => {
    const { name } = await signedInUser();
    await expectUnauthorized(await me(eu, name, headers));
  });

  it("P a valid token under another scheme, or in the query string, is 401", async () => {
    const { name, tokens } = await signedInUser();
    await expectUnauthorized(await me(eu, name, { Authorization: `Token ${tokens.access_token}` }));
    await expectUnauthorized(await eu.fetch(`/t/${name}/me?access_token=${tokens.access_token}`));
  });

  it("P the ID token is not an access token", async () => {
    const { name, tokens } = await signedInUser();
    expect(tokens.id_token).toEqual(expect.any(String));
    await expectUnauthorized(await me(eu, name, bearer(tokens.id_token!)));
  });
});

describe("forged and altered tokens", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it.each<[string, (token: string) => Promise<string>]>([
    ["an expired token", (token) => resign(token, { claims: { iat: now() - 3600, exp: now() - 60 } })],
    ["a token issued in the future", (token) => resign(token, { claims: { iat: now() + 3600, exp: now() + 4200, nbf: now() + 3600 } })],
    ["a token without exp", (token) => resign(token, { claims: { exp: undefined } })],
    ["a token for another audience", (token) => resign(token, { claims: { aud: "someone-else" } })],
    ["a token for no audience", (token) => resign(token, { claims: { aud: undefined } })],
    ["a token of another issuer", (token) => resign(token, { claims: { iss: "https://attacker.example/t/acme" } })],
    ["a token naming the other region", (token) => resign(token, { claims: { region: "us" } })],
    ["a token without a session", (token) => resign(token, { claims: { sid: undefined } })],
    ["a token of an unknown session", (token) => resign(token, { claims: { sid: crypto.randomUUID() } })],
    ["a token whose subject is not the session's user", (token) => resign(token, { claims: { sub: crypto.randomUUID() } })],
    ["a token typed as an ID token", (token) => resign(token, { header: { typ: "JWT" } })],
    [
      "a tampered payload under the original signature",
      async (token) => {
        const [header, payload, signature] = segments(token);
        const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
        expect(encodeJson(claims)).not.toBe(encodeJson({ ...claims, roles: ["admin"] }));
        return `${header}.${encodeJson({ ...claims, roles: ["admin"] })}.${signature}`;
      },
    ],
    [
      "an unsigned token (alg none)",
      async (token) => `${encodeJson({ alg: "none", typ: "at+jwt" })}.${segments(token)[1]}.`,
    ],
    [
      "an unsigned token (alg none) keeping the key's kid",
      async (token) => `${encodeJson({ alg: "none", typ: "at+jwt", kid: (await euKey()).kid })}.${segments(token)[1]}.`,
    ],
    [
      "an HS256 token keyed with the public key's x",
      async (token) => {
        const { kid, jwk } = await euKey();
        return new SignJWT(decodeJwt(token))
          .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid })
          .sign(new TextEncoder().encode(jwk.x));
      },
    ],
    [
      "a token signed by a key not in the set",
      async (token) => {
        const { privateKey } = await generateKeyPair("ES256", { extractable: true });
        return resign(token, { key: { kid: "rogue-1", key: privateKey, jwk: await exportJWK(privateKey) } });
      },
    ],
    [
      "a token signed by a foreign key under the region key's kid",
      async (token) => {
        const { privateKey } = await generateKeyPair("ES256", { extractable: true });
        return resign(token, { key: { kid: (await euKey()).kid, key: privateKey, jwk: await exportJWK(privateKey) } });
      },
    ],
    [
      "a token carrying its own key in the header (jwk)",
      async (token) => {
        const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
        return resign(token, { key: { kid: "embedded", key: privateKey, jwk: {} }, header: { jwk: await exportJWK(publicKey), kid: undefined } });
      },
    ],
    ["a token signed by the us key for the eu issuer", async (token) => resign(token, { key: await usKey() })],
    [
      "a token signed by the us key under the eu key's kid",
      async (token) => resign(token, { key: { ...(await usKey()), kid: (await euKey()).kid } }),
    ],
  ])("P %s is 401", async (_what, forge) => {
    const { name, tokens } = await signedInUser();
    const forged = await forge(tokens.access_token);
    expect(forged).not.toBe(tokens.access_token);
    await expectUnauthorized(await me(eu, name, bearer(forged)));
  });
});

describe("tenants and regions", () => {
  it("T a valid token of tenant A is 401 on tenant B", async () => {
    const a = await signedInUser();
    const b = await signedInUser();
    await expectUnauthorized(await me(eu, b.name, bearer(a.tokens.access_token)));
    expect((await me(eu, a.name, bearer(a.tokens.access_token))).status).toBe(200);
  });

  it("T a us token on an eu URL is refused", async () => {
    const home = await signedInUser(us);
    expect((await me(us, home.name, bearer(home.tokens.access_token))).status).toBe(200);
    const response = await me(eu, home.name, bearer(home.tokens.access_token));
    expect([401, 404]).toContain(response.status);
  });

  it("T a us token re-signed by the us key with the eu issuer of an eu tenant is 401", async () => {
    const euSide = await signedInUser(eu);
    const usSide = await signedInUser(us);
    const forged = await resign(usSide.tokens.access_token, {
      key: await usKey(),
      claims: { iss: `${eu.origin}/t/${euSide.name}`, tid: euSide.tenantId, sub: euSide.user.id, sid: euSide.sessionId },
    });
    await expectUnauthorized(await me(eu, euSide.name, bearer(forged)));
  });

  it("T a tenant deleted and re-created under the same name refuses the old tenant's token", async () => {
    const { name, tenantId, user, tokens, sessionId } = await signedInUser();
    const db = drizzle(eu.db);
    const [oldTenant] = await db.select().from(tenants).where(eq(tenants.id, tenantId));
    const [oldUser] = await db.select().from(users).where(eq(users.id, user.id));
    const [oldSession] = await db.select().from(sessions).where(eq(sessions.id, sessionId));

    // Deleting the tenant cascades to its users and sessions (D1 enforces the foreign keys).
    await eu.db.prepare("DELETE FROM tenants WHERE id = ?").bind(tenantId).run();
    expect(await eu.db.prepare("SELECT id FROM sessions WHERE id = ?").bind(sessionId).first()).toBeNull();
    await problemOf(await me(eu, name, bearer(tokens.access_token)), 404, "tenant_not_found");

    // The new tenant even holds a user and a session with the old ids: only the tenant id tells them apart.
    const newTenantId = crypto.randomUUID();
    await db.insert(tenants).values({ ...oldTenant!, id: newTenantId });
    await db.insert(users).values({ ...oldUser!, tenantId: newTenantId });
    await db.insert(sessions).values({ ...oldSession!, tenantId: newTenantId });

    await expectUnauthorized(await me(eu, name, bearer(tokens.access_token)));
    // ...while a token of the new tenant is accepted.
    const fresh = await tokensFor(eu, name, user.username);
    expect(decodeJwt(fresh.access_token).tid).toBe(newTenantId);
    expect((await me(eu, name, bearer(fresh.access_token))).status).toBe(200);
  });
});

describe("state changes take effect at the next request", () => {
  it("P a deactivated user is refused with 403 account_inactive, with the same token", async () => {
    const { name, user, tokens } = await signedInUser();
    expect((await me(eu, name, bearer(tokens.access_token))).status).toBe(200);
    await eu.db.prepare("UPDATE users SET active = 0 WHERE id = ?").bind(user.id).run();
    await problemOf(await me(eu, name, bearer(tokens.access_token)), 403, "account_inactive");
    // ...and accepted again once reactivated: the token itself was never the problem.
    await eu.db.prepare("UPDATE users SET active = 1 WHERE id = ?").bind(user.id).run();
    expect((await me(eu, name, bearer(tokens.access_token))).status).toBe(200);
  });

  it.each(["refresh_token", "access_token"] as const)(
    "P a session revoked with its %s is 401 at the next request, and only that session",
    async (which) => {
      const { name, user, tokens } = await signedInUser();
      const other = await tokensFor(eu, name, user.username);
      expect((await me(eu, name, bearer(tokens.access_token))).status).toBe(200);
      expect((await revoke(eu, name, tokens[which])).status).toBe(200);
      await expectUnauthorized(await me(eu, name, bearer(tokens.access_token)));
      expect((await me(eu, name, bearer(other.access_token))).status).toBe(200);
    },
  );

  it("P an expired session is 401, though its access token has not expired", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    await eu.db.prepare("UPDATE sessions SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, sessionId).run();
    await expectUnauthorized(await me(eu, name, bearer(tokens.access_token)));
  });

  it("P a deleted user is 401", async () => {
    const { name, user, tokens } = await signedInUser();
    await eu.db.prepare("DELETE FROM users WHERE id = ?").bind(user.id).run();
    await expectUnauthorized(await me(eu, name, bearer(tokens.access_token)));
  });

  it("P a disabled tenant is 403 tenant_disabled", async () => {
    const { name, tenantId, tokens } = await signedInUser();
    await eu.db.prepare("UPDATE tenants SET enabled = 0 WHERE id = ?").bind(tenantId).run();
    await problemOf(await me(eu, name, bearer(tokens.access_token)), 403, "tenant_disabled");
  });
});

describe("POST /t/{tenant}/revoke", () => {
  it.each([
    ["an unknown token", base64url.encode(crypto.getRandomValues(new Uint8Array(32)))],
    ["garbage", "!!not a token!!"],
    ["an empty token", ""],
    ["a JWT-looking token", "aaa.bbb.ccc"],
  ])("S %s answers 200 with nothing to tell", async (_what, token) => {
    const { name } = await createTenant(eu);
    const response = await revoke(eu, name, token);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("S a token revoked twice answers 200 both times; JSON is accepted too", async () => {
    const { name, tokens } = await signedInUser();
    expect((await revoke(eu, name, tokens.refresh_token)).status).toBe(200);
    expect((await eu.fetch(`/t/${name}/revoke`, json({ token: tokens.refresh_token }))).status).toBe(200);
    await expectUnauthorized(await me(eu, name, bearer(tokens.access_token)));
  });

  it.each(["refresh_token", "access_token"] as const)(
    "T a %s of tenant A revoked at tenant B answers 200 and leaves the session at A alive",
    async (which) => {
      const a = await signedInUser();
      const b = await signedInUser();
      expect((await revoke(eu, b.name, a.tokens[which])).status).toBe(200);
      expect((await me(eu, a.name, bearer(a.tokens.access_token))).status).toBe(200);
    },
  );

  it("S a request without a token parameter, or with malformed JSON, is 400 invalid_request", async () => {
    const { name } = await createTenant(eu);
    const missing = await eu.fetch(`/t/${name}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "",
    });
    const malformed = await eu.fetch(`/t/${name}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{token",
    });
    for (const response of [missing, malformed]) {
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_request" });
    }
  });
});
