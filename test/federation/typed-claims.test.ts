// Rule X keys an identity on (provider, subject); for Microsoft on the pair (tid, oid). A provider's
// signature vouches for who wrote a token, not for the shape of its claims: a `sub` that is not a string,
// or a Microsoft `tid` / `oid` that is not a GUID, identifies nobody. Natively that is `401
// invalid_credentials`, in the browser flow `error=provider_error` back to the app; either way the attempt
// is recorded (rule L) and nothing is created. GUIDs also make the pair unambiguous: `a/x` + `victim` and
// `a` + `x/victim` can no longer both be the subject `a/x/victim`.
import { describe, expect, it } from "vitest";
import {
  attemptsOf,
  identitiesOf,
  meOf,
  MICROSOFT_DEFAULT_WORK_TID,
  mintIdToken,
  postIdToken,
  signedIn,
  signInWith,
  usersOf,
  type OidcProviderName,
} from "../support/oidc";
import { problemOf } from "../support/problems";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";

const malformedSubjects: [string, unknown][] = [
  ["a number", 1234567890],
  ["an object", { id: "victim" }],
  ["an array", ["victim"]],
  ["a boolean", true],
  ["empty", ""],
  ["blank", "   "],
  ["longer than 255 characters", "s".repeat(256)],
];

const malformedMicrosoftKeys: [string, Record<string, unknown>][] = [
  ["a tid with a slash", { tid: "a/x", oid: "victim" }],
  ["an oid with a slash", { tid: "a", oid: "x/victim" }],
  ["a tid that is not a GUID", { tid: "contoso", oid: crypto.randomUUID() }],
  ["an oid that is a number", { tid: MICROSOFT_DEFAULT_WORK_TID, oid: 42 }],
  ["an oid that is an object", { tid: MICROSOFT_DEFAULT_WORK_TID, oid: { id: crypto.randomUUID() } }],
  ["a GUID with extra characters", { tid: MICROSOFT_DEFAULT_WORK_TID, oid: `${crypto.randomUUID()}/x` }],
];

/** Nothing was created, and the refusal is on the tenant's record (the login: no verified identity). */
async function expectRefusedAndRecorded(tenant: { id: string }, provider: OidcProviderName, code: string) {
  expect(await usersOf(eu, tenant.id)).toHaveLength(1);
  expect(await identitiesOf(eu, tenant.id)).toHaveLength(0);
  expect(await attemptsOf(eu, tenant.id)).toEqual([
    { login: "(no verified identity)", user_id: null, success: 0, code, method: provider, client_id: "printid-mobile" },
  ]);
}

describe("X a provider's sub is a string", () => {
  it.each(malformedSubjects.flatMap(([what, sub]) => (["apple", "google"] as const).map((provider) => [provider, what, sub] as const)))(
    "X native %s: a sub that is %s is 401 invalid_credentials, recorded, nothing created",
    async (provider, _, sub) => {
      const tenant = await openTenant(eu);
      const idToken = await mintIdToken(provider, { sub, given_name: "Eve" });
      const problem = await problemOf(await postIdToken(eu, tenant.name, provider, { idToken }), 401, "invalid_credentials");
      expect(problem.detail).toMatch(/does not identify a person/);
      await expectRefusedAndRecorded(tenant, provider, "invalid_credentials");
    },
  );

  it.each(malformedSubjects)("X redirect google: a sub that is %s is provider_error back to the app, recorded, nothing created", async (_, sub) => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "google", claims: { sub, given_name: "Eve" } });
    expect(result.redirect).toMatchObject({ error: "provider_error", code: null, state: result.started.appState });
    expect(result.redirect.errorDescription).toMatch(/does not identify a person/);
    await expectRefusedAndRecorded(tenant, "google", "provider_error");
  });
});

describe("X Microsoft's tid and oid are GUIDs", () => {
  it.each(malformedMicrosoftKeys)("X native: %s is 401 invalid_credentials, recorded, nothing created", async (_, keys) => {
    const tenant = await openTenant(eu);
    const idToken = await mintIdToken("microsoft", { ...keys, given_name: "Eve" });
    await problemOf(await postIdToken(eu, tenant.name, "microsoft", { idToken }), 401, "invalid_credentials");
    await expectRefusedAndRecorded(tenant, "microsoft", "invalid_credentials");
  });

  it.each(malformedMicrosoftKeys)("X redirect: %s is provider_error back to the app, recorded, nothing created", async (_, keys) => {
    const tenant = await openTenant(eu);
    const result = await signInWith(eu, tenant.name, { provider: "microsoft", claims: { ...keys, given_name: "Eve" } });
    expect(result.redirect).toMatchObject({ error: "provider_error", code: null, state: result.started.appState });
    await expectRefusedAndRecorded(tenant, "microsoft", "provider_error");
  });

  it("X a GUID in capitals is the same identity as in lower case, stored lower-case", async () => {
    const tenant = await openTenant(eu);
    const [tid, oid] = [crypto.randomUUID(), crypto.randomUUID()];
    const upper = await signInWith(eu, tenant.name, { provider: "microsoft", claims: { tid: tid.toUpperCase(), oid: oid.toUpperCase(), given_name: "Cap" } });
    const lower = await signInWith(eu, tenant.name, { provider: "microsoft", claims: { tid, oid } });
    const [a, b] = await Promise.all([upper, lower].map((result) => meOf(eu, tenant.name, result.tokens!.access_token)));
    expect(b!.id).toBe(a!.id);
    expect((await identitiesOf(eu, tenant.id)).map((identity) => identity.subject)).toEqual([`${tid}/${oid}`]);
  });

  it("X native: the same GUID pair signs in as one user whatever its case", async () => {
    const tenant = await openTenant(eu);
    const [tid, oid] = [crypto.randomUUID(), crypto.randomUUID()];
    const one = await signedIn(await postIdToken(eu, tenant.name, "microsoft", { idToken: await mintIdToken("microsoft", { tid, oid, given_name: "Low" }) }));
    const two = await signedIn(
      await postIdToken(eu, tenant.name, "microsoft", { idToken: await mintIdToken("microsoft", { tid: tid.toUpperCase(), oid: oid.toUpperCase() }) }),
    );
    expect((await meOf(eu, tenant.name, two.access_token)).id).toBe((await meOf(eu, tenant.name, one.access_token)).id);
  });
});
