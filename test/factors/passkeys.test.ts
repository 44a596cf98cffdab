// Passkeys (issue 16, WebAuthn Level 3): a signed-in person enrols several, named, and removes them; a passkey
// alone signs its person in, as two factors (`amr` hwk, user, mfa). A software authenticator (support/webauthn)
// is the other party. Holes closed: a challenge used twice or late, a credential made for another origin or
// relying party, a signature by another key, a cloned authenticator (its counter gone back), a passkey that did
// not verify its person, a passkey of another person, tenant or region, a removed passkey, an inactive person.
// Steps are numbered as in WebAuthn Level 2 (§7.1 registration, §7.2 authentication).
import { base64url, decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { prune } from "../../src/scheduled";
import { adminFixture, listPage, patchSettings, type AdminFixture } from "../support/admin";
import { problemOf, type Problem } from "../support/problems";
import { countOf } from "../support/rows";
import { eu, us, type Region } from "../support/regions";
import { json } from "../support/tenants";
import { bearer, CLIENT_ID, fetchMe, seedUser, tokensFor, type SeededUser, type TokenResponse } from "../support/users";
import { newSigningKeys, SoftwarePasskey, type CreationOptions, type RequestOptions, type Tweaks } from "../support/webauthn";
import { secondStepPasskeyOptions, withFreshFactor } from "./support";

type Site = { region: Region; tenant: string };

interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

interface SignInAttempt {
  login: string;
  userId: string | null;
  code: string | null;
  method: string;
}

/** A person of the tenant, signed in with their password: their seed and bearer header. */
async function signedInPerson(f: AdminFixture): Promise<{ user: SeededUser; auth: Record<string, string> }> {
  const user = await seedUser(f.region, f.tenantId);
  return { user, auth: bearer((await tokensFor(f.region, f.tenant, user.username)).access_token) };
}

/** A fresh second factor from a passkey the person holds (rule M: a change of their factors asks one). */
const freshFrom = (f: Site, passkey: SoftwarePasskey) => async (mfaToken: string) => ({
  webauthnResponse: await passkey.assertion((await secondStepPasskeyOptions(f.region, f.tenant, mfaToken)) as RequestOptions),
});

/** POST …/me/factors/passkeys/options, with a fresh factor from `holding` when the person has a passkey: the answer. */
function askCreationOptions(f: Site, auth: Record<string, string>, holding?: SoftwarePasskey) {
  const ask = (body: Record<string, unknown>) => f.region.fetch(`/t/${f.tenant}/me/factors/passkeys/options`, json(body, auth));
  return holding ? withFreshFactor(ask, freshFrom(f, holding)) : ask({});
}

/** The creation options (must answer 200). */
async function creationOptions(f: Site, auth: Record<string, string>, holding?: SoftwarePasskey): Promise<CreationOptions> {
  const response = await askCreationOptions(f, auth, holding);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as CreationOptions;
}

/** DELETE …/me/factors/passkeys/{id}, with a fresh factor from `holding`: the answer. */
function removePasskey(f: Site, auth: Record<string, string>, id: string, holding: SoftwarePasskey) {
  const remove = (body: Record<string, unknown>) => f.region.fetch(`/t/${f.tenant}/me/factors/passkeys/${id}`, { ...json(body, auth), method: "DELETE" });
  return withFreshFactor(remove, freshFrom(f, holding));
}

/** POST …/me/factors/passkeys: the answer as it comes. */
function addPasskey(f: Site, auth: Record<string, string>, body: Record<string, unknown>) {
  return f.region.fetch(`/t/${f.tenant}/me/factors/passkeys`, json(body, auth));
}

/** A new passkey on the software authenticator, enrolled by the person under `name` (must answer 201). */
async function enrol(f: Site, auth: Record<string, string>, name = "Work laptop", holding?: SoftwarePasskey): Promise<{ passkey: SoftwarePasskey; view: PasskeyView }> {
  const passkey = await SoftwarePasskey.create(f.region.origin);
  const response = await addPasskey(f, auth, { name, response: await passkey.attestation(await creationOptions(f, auth, holding)) });
  expect(response.status, await response.clone().text()).toBe(201);
  return { passkey, view: (await response.json()) as PasskeyView };
}

async function myPasskeys(f: Site, auth: Record<string, string>): Promise<PasskeyView[]> {
  const response = await f.region.fetch(`/t/${f.tenant}/me/factors/passkeys`, { headers: auth });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { items: PasskeyView[] }).items;
}

/** POST …/sign-in/passkey/options: must answer 200, the request options. */
async function requestOptions(f: Site): Promise<RequestOptions & { userVerification: string }> {
  const response = await f.region.fetch(`/t/${f.tenant}/sign-in/passkey/options`, { method: "POST" });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as RequestOptions & { userVerification: string };
}

/** POST …/sign-in/passkey with the app's client: the answer as it comes. */
function passkeySignIn(f: Site, response: unknown, more: Record<string, unknown> = {}) {
  return f.region.fetch(`/t/${f.tenant}/sign-in/passkey`, json({ response, clientId: CLIENT_ID, ...more }));
}

/** The passkey's assertion for fresh sign-in options, sent: the answer as it comes. */
async function signInWith(f: Site, passkey: SoftwarePasskey, tweaks: Tweaks = {}) {
  return passkeySignIn(f, await passkey.assertion(await requestOptions(f), tweaks));
}

/** Ends every open WebAuthn challenge of the tenant, as five minutes would. */
async function expireChallenges(f: AdminFixture) {
  await f.region.db.prepare("UPDATE webauthn_challenges SET expires_at = ? WHERE tenant_id = ?").bind(Date.now() - 1000, f.tenantId).run();
}

/** `n` passkeys of the person put straight into D1 (as enrolled elsewhere): only their number matters. */
async function seedPasskeys(f: AdminFixture, userId: string, n: number) {
  const insert = f.region.db.prepare(
    "INSERT INTO passkeys (id, tenant_id, user_id, name, credential_id, public_key, counter, created_at) VALUES (?, ?, ?, ?, ?, 'none', 0, ?)",
  );
  await f.region.db.batch(
    Array.from({ length: n }, (_, i) => insert.bind(crypto.randomUUID(), f.tenantId, userId, `Seeded ${i}`, crypto.randomUUID(), Date.now())),
  );
}

async function attemptsOf(f: AdminFixture): Promise<SignInAttempt[]> {
  return (await listPage<SignInAttempt>(f, "/sign-in-attempts", "limit=100")).items;
}

describe("enrolment", () => {
  it("M WebAuthn §5.4 the options name the region's host as relying party and the tenant, ask for a discoverable passkey, ES256 or RS256, no attestation", async () => {
    const f = await adminFixture();
    const { user, auth } = await signedInPerson(f);
    const options = (await creationOptions(f, auth)) as CreationOptions & Record<string, any>;
    expect(options.rp).toEqual({ id: new URL(eu.origin).hostname, name: `Tenant ${f.tenant}` });
    expect(options.user.name).toBe(user.username);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "preferred" });
    expect(options.attestation).toBe("none");
    expect(options.pubKeyCredParams.map((param: { alg: number }) => param.alg)).toEqual([-7, -257]);
    expect(options.excludeCredentials).toEqual([]);
    expect(options.timeout).toBe(300_000);
  });

  it("M WebAuthn §7.1 a person enrols several passkeys, each named; the list is newest first, and the next options exclude them", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const first = await enrol(f, auth, "  Work laptop ");
    expect(first.view).toMatchObject({ name: "Work laptop", lastUsedAt: null });
    const second = await enrol(f, auth, "Phone", first.passkey);
    expect((await myPasskeys(f, auth)).map((passkey) => passkey.name)).toEqual(["Phone", "Work laptop"]);
    const excluded = (await creationOptions(f, auth, second.passkey)).excludeCredentials.map((credential) => credential.id);
    expect(excluded.sort()).toEqual([first.passkey.id, second.passkey.id].sort());
  });

  it("M WebAuthn §7.1 step 8 a registration challenge is used once: the same options answered again are refused (400)", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const options = await creationOptions(f, auth);
    const first = await SoftwarePasskey.create(f.region.origin);
    expect((await addPasskey(f, auth, { name: "One", response: await first.attestation(options) })).status).toBe(201);
    const again = await SoftwarePasskey.create(f.region.origin);
    const problem = await problemOf(await addPasskey(f, auth, { name: "Two", response: await again.attestation(options) }), 400, "validation_failed");
    expect(problem.detail).toMatch(/challenge is unknown, used or expired/);
    expect(await myPasskeys(f, auth)).toHaveLength(1);
  });

  it("M WebAuthn §7.1 an expired registration challenge, or one given to another person, is refused (400)", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const passkey = await SoftwarePasskey.create(f.region.origin);
    const late = await passkey.attestation(await creationOptions(f, auth));
    await expireChallenges(f);
    await problemOf(await addPasskey(f, auth, { name: "Late", response: late }), 400, "validation_failed");

    const other = await signedInPerson(f);
    const theirs = await passkey.attestation(await creationOptions(f, other.auth));
    await problemOf(await addPasskey(f, auth, { name: "Theirs", response: theirs }), 400, "validation_failed");
    expect(await myPasskeys(f, auth)).toEqual([]);
  });

  it.each([
    ["origin", { origin: "https://evil.example" }],
    ["relying party", { rpId: "evil.example" }],
    ["region's origin (us)", { origin: us.origin, rpId: new URL(us.origin).hostname }],
  ])("M WebAuthn §7.1 steps 9 and 13 a credential made for another %s is refused (400)", async (_, tweaks) => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const passkey = await SoftwarePasskey.create(f.region.origin);
    const response = await passkey.attestation(await creationOptions(f, auth), tweaks);
    const problem = await problemOf(await addPasskey(f, auth, { name: "Elsewhere", response }), 400, "validation_failed");
    expect(problem.errors).toEqual([{ path: "response", message: "Not a valid registration for this site" }]);
    expect(await myPasskeys(f, auth)).toEqual([]);
  });

  it("T M WebAuthn §7.1 step 22 a credential the tenant already holds is refused (400), and is not moved to another person", async () => {
    const f = await adminFixture();
    const owner = await signedInPerson(f);
    const { passkey } = await enrol(f, owner.auth);
    const other = await signedInPerson(f);
    const response = await passkey.attestation(await creationOptions(f, other.auth));
    const problem = await problemOf(await addPasskey(f, other.auth, { name: "Borrowed", response }), 400, "validation_failed");
    expect(problem.detail).toMatch(/already registered/);
    expect(await myPasskeys(f, other.auth)).toEqual([]);
    expect(await myPasskeys(f, owner.auth)).toHaveLength(1);
  });

  it("validation: a name of 1 to 64 characters, a response in WebAuthn's JSON form; a bearer token is required (401)", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const passkey = await SoftwarePasskey.create(f.region.origin);
    const response = await passkey.attestation(await creationOptions(f, auth));
    for (const name of ["", "   ", "x".repeat(65)]) {
      const problem = await problemOf(await addPasskey(f, auth, { name, response }), 400, "validation_failed");
      expect(problem.errors?.map((error) => error.path)).toEqual(["name"]);
    }
    const notJson = { ...response, id: "not base64url!", rawId: "not base64url!" };
    await problemOf(await addPasskey(f, auth, { name: "Bad", response: notJson }), 400, "validation_failed");
    await problemOf(await addPasskey(f, auth, { name: "Bad", response: { ...response, response: {} } }), 400, "validation_failed");
    await problemOf(await addPasskey(f, {}, { name: "Nobody", response }), 401, "unauthorized");
    await problemOf(await f.region.fetch(`/t/${f.tenant}/me/factors/passkeys/options`, { method: "POST" }), 401, "unauthorized");
  });

  it("a response that is not CBOR nor JSON inside is 400 validation_failed, never a 5xx", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const passkey = await SoftwarePasskey.create(f.region.origin);
    const good = await passkey.attestation(await creationOptions(f, auth));
    const garbled = { ...good, response: { ...good.response, attestationObject: "AAAA" } };
    await problemOf(await addPasskey(f, auth, { name: "Garbled", response: garbled }), 400, "validation_failed");
    const noClientData = { ...good, response: { ...good.response, clientDataJSON: "AAAA" } };
    await problemOf(await addPasskey(f, auth, { name: "Garbled", response: noClientData }), 400, "validation_failed");
  });
});

describe("sign-in with a passkey alone", () => {
  it("M WebAuthn §7.2 a passkey signs its person in: the ID token's amr says hwk and mfa, its last use is kept, the attempt is recorded", async () => {
    const f = await adminFixture();
    const { user, auth } = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    const options = await requestOptions(f);
    expect(options).toMatchObject({ rpId: new URL(eu.origin).hostname, allowCredentials: [], userVerification: "required" });

    const response = await passkeySignIn(f, await passkey.assertion(options));
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const tokens = (await response.json()) as TokenResponse;
    const claims = decodeJwt(tokens.id_token!);
    expect(claims.sub).toBe(user.id);
    expect(claims.amr).toEqual(expect.arrayContaining(["hwk", "mfa"]));
    expect(((await (await fetchMe(f.region, f.tenant, tokens.access_token)).json()) as { username: string }).username).toBe(user.username);
    expect((await myPasskeys(f, auth))[0]!.lastUsedAt).not.toBeNull();
    expect((await attemptsOf(f))[0]).toMatchObject({ login: user.username, userId: user.id, code: null, method: "passkey" });
  });

  it("M WebAuthn §6.1.1 a passkey that keeps no counter (always 0) signs in again and again", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    for (let i = 0; i < 2; i++) expect((await signInWith(f, passkey, { counter: 0 })).status).toBe(200);
  });

  it("L M WebAuthn §7.2 refused alike (401 invalid_credentials) and recorded: a wrong signature, an unknown passkey, a replayed challenge, an expired challenge, a cloned authenticator", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    const refusals: Problem[] = [];
    const refused = async (response: Response) => refusals.push(await problemOf(response, 401, "invalid_credentials"));

    await refused(await signInWith(f, passkey, { signingKey: (await newSigningKeys()).privateKey }));
    await refused(await signInWith(f, await SoftwarePasskey.create(f.region.origin)));

    const options = await requestOptions(f);
    expect((await passkeySignIn(f, await passkey.assertion(options))).status).toBe(200);
    await refused(await passkeySignIn(f, await passkey.assertion(options)));

    const late = await passkey.assertion(await requestOptions(f));
    await expireChallenges(f);
    await refused(await passkeySignIn(f, late));

    // The passkey's counter as last seen is 2: a copy of the authenticator made before then sends one no greater.
    await refused(await signInWith(f, passkey, { counter: 2 }));
    await refused(await signInWith(f, passkey, { counter: 0 }));

    expect(new Set(refusals.map((problem) => problem.detail)).size).toBe(1);
    const recorded = (await attemptsOf(f)).filter((attempt) => attempt.method === "passkey" && attempt.code === "invalid_credentials");
    expect(recorded).toHaveLength(refusals.length);
    expect(recorded.every((attempt) => attempt.userId === null)).toBe(true);
    // The good passkey still signs in: a refusal does not spend it.
    expect((await signInWith(f, passkey)).status).toBe(200);
  });

  it("M WebAuthn §7.2 step 12 two assertions for one challenge at once: one signs in, the other is refused", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    const options = await requestOptions(f);
    const [first, second] = [await passkey.assertion(options), await passkey.assertion(options)];
    const answers = await Promise.all([passkeySignIn(f, second), passkeySignIn(f, first)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
  });

  it("M WebAuthn §7.2 step 17 a passkey that did not verify its person (no PIN, no biometrics) does not sign in alone", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    await problemOf(await signInWith(f, passkey, { userVerified: false }), 401, "invalid_credentials");
  });

  it("M WebAuthn §7.2 step 6 a user handle that is not the passkey's person's is refused", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const other = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    const theirs = base64url.encode(other.user.id);
    await problemOf(await signInWith(f, passkey, { userHandle: theirs }), 401, "invalid_credentials");
    expect((await signInWith(f, passkey, { userHandle: null })).status).toBe(200);
  });

  it.each([
    ["origin", { origin: "https://evil.example" }],
    ["relying party", { rpId: "evil.example" }],
  ])("M WebAuthn §7.2 steps 13 and 15 an assertion made for another %s is refused", async (_, tweaks) => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    await problemOf(await signInWith(f, passkey, tweaks), 401, "invalid_credentials");
  });

  it("T a passkey of one tenant signs in at no other tenant, nor in the other region (us)", async () => {
    const a = await adminFixture();
    const { auth } = await signedInPerson(a);
    const { passkey } = await enrol(a, auth);
    const b = await adminFixture();
    await problemOf(await signInWith(b, passkey), 401, "invalid_credentials");
    const overseas = await adminFixture({}, us);
    await problemOf(await signInWith(overseas, passkey), 401, "invalid_credentials");
    await problemOf(await signInWith(overseas, passkey, { origin: us.origin, rpId: new URL(us.origin).hostname }), 401, "invalid_credentials");
    expect((await attemptsOf(b))[0]).toMatchObject({ method: "passkey", code: "invalid_credentials", userId: null, login: passkey.id });
  });

  it("P a deactivated person's valid passkey is refused with 403 account_inactive, and the attempt recorded", async () => {
    const f = await adminFixture();
    const { user, auth } = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    const deactivated = await f.region.fetch(`/t/${f.tenant}/admin/users/${user.id}`, { ...json({ active: false }, f.auth), method: "PATCH" });
    expect(deactivated.status, await deactivated.clone().text()).toBe(200);
    await problemOf(await signInWith(f, passkey), 403, "account_inactive");
    expect((await attemptsOf(f))[0]).toMatchObject({ method: "passkey", code: "account_inactive", userId: user.id });
  });

  it("validation: the client must be a registered app (a confidential client signs in through /authorize); a response in WebAuthn's JSON form", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const { passkey } = await enrol(f, auth);
    for (const clientId of ["printid-web", "no-such-client"]) {
      const problem = await problemOf(await passkeySignIn(f, await passkey.assertion(await requestOptions(f)), { clientId }), 400, "validation_failed");
      expect(problem.errors?.map((error) => error.path)).toEqual(["clientId"]);
    }
    await problemOf(await passkeySignIn(f, { id: passkey.id }), 400, "validation_failed");
    const assertion = await passkey.assertion(await requestOptions(f));
    await problemOf(await passkeySignIn(f, assertion, { scope: "openid admin" }), 400, "validation_failed");
    // Readable JSON, but client data that is not: refused like any other assertion, not a 5xx.
    await problemOf(await passkeySignIn(f, { ...assertion, response: { ...assertion.response, clientDataJSON: "AAAA" } }), 401, "invalid_credentials");
  });
});

describe("my passkeys: renamed, removed", () => {
  it("M a removed passkey signs in no more; another person's passkey, or another tenant's admin, cannot remove or rename it (404)", async () => {
    const f = await adminFixture();
    const owner = await signedInPerson(f);
    const { passkey, view } = await enrol(f, owner.auth);
    const path = `/t/${f.tenant}/me/factors/passkeys/${view.id}`;
    const other = await signedInPerson(f);
    await problemOf(await f.region.fetch(path, { ...json({}, other.auth), method: "DELETE" }), 404, "not_found");
    await problemOf(await f.region.fetch(path, { ...json({ name: "Mine now" }, other.auth), method: "PATCH" }), 404, "not_found");
    const elsewhere = await adminFixture();
    await problemOf(await elsewhere.region.fetch(`/t/${elsewhere.tenant}/me/factors/passkeys/${view.id}`, { ...json({}, elsewhere.auth), method: "DELETE" }), 404, "not_found");
    expect((await signInWith(f, passkey)).status).toBe(200);

    const renamed = await f.region.fetch(path, { ...json({ name: "Old laptop" }, owner.auth), method: "PATCH" });
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as PasskeyView).name).toBe("Old laptop");

    expect((await removePasskey(f, owner.auth, view.id, passkey)).status).toBe(204);
    expect(await myPasskeys(f, owner.auth)).toEqual([]);
    await problemOf(await signInWith(f, passkey), 401, "invalid_credentials");
    await problemOf(await f.region.fetch(path, { ...json({}, owner.auth), method: "DELETE" }), 404, "not_found");
  });

  it("M the last passkey stays while the tenant requires a second factor (403 forbidden), and signs in alone there; one of two goes", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    const first = await enrol(f, auth, "First");
    const second = await enrol(f, auth, "Second", first.passkey);
    expect((await patchSettings(f, { mfa: { mode: "all" } })).status).toBe(200);
    expect((await removePasskey(f, auth, first.view.id, second.passkey)).status).toBe(204);
    await problemOf(await removePasskey(f, auth, second.view.id, second.passkey), 403, "forbidden");
    expect((await myPasskeys(f, auth)).map((passkey) => passkey.name)).toEqual(["Second"]);
    // Two factors in one: the gate asks a passkey's sign-in for nothing more.
    expect((await signInWith(f, second.passkey)).status).toBe(200);
  });
});

describe("H storage is bounded", () => {
  it("H a person has at most 20 passkeys: said when options are asked for, and held when one would be kept", async () => {
    const f = await adminFixture();
    const { user, auth } = await signedInPerson(f);
    const { passkey: held } = await enrol(f, auth);
    await seedPasskeys(f, user.id, 18);
    const options = await creationOptions(f, auth, held);
    await seedPasskeys(f, user.id, 1);
    const passkey = await SoftwarePasskey.create(f.region.origin);
    const beyond = await problemOf(await addPasskey(f, auth, { name: "Twenty-first", response: await passkey.attestation(options) }), 400, "validation_failed");
    expect(beyond.detail).toMatch(/at most 20 passkeys/);
    await problemOf(await askCreationOptions(f, auth, held), 400, "validation_failed");
    expect(await myPasskeys(f, auth)).toHaveLength(20);
  });

  it("H the daily clean-up deletes expired challenges and keeps open ones", async () => {
    const f = await adminFixture();
    const { auth } = await signedInPerson(f);
    await creationOptions(f, auth);
    await requestOptions(f);
    await expireChallenges(f);
    await requestOptions(f);
    await prune(database(f.region.db), new Date());
    expect(await countOf(f.region, "SELECT count(*) AS n FROM webauthn_challenges WHERE tenant_id = ?", f.tenantId)).toBe(1);
  });
});
