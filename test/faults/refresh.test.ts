// Rule H: a refresh or a revocation that meets a failing or stalling D1 answers 503 (RFC 6749's
// temporarily_unavailable, with Retry-After), and never costs the person their session: rotation is one
// D1 batch, all or nothing, so the session always keeps a valid refresh token (the presented one, or the
// one it was exchanged for), and the app's retry with the same token succeeds within the tenant's reuse
// window (FAPI 2.0 Security Profile §5.3.2.1). With the window at 0 (strict rotation, RFC 9700 §4.14.2),
// a retry after a rotation that did commit is reuse, and revokes. Holes closed: a half-done rotation
// that left a session with no valid refresh token, and a 500 whose retry was taken for reuse.
import { describe, expect, it } from "vitest";
import { faultyRegion, type Fault } from "../support/faults";
import { eu } from "../support/regions";
import { isSpent, refresh, revoke } from "../support/tokens";
import { fetchMe, signedInUser, type TokenResponse } from "../support/users";

/** The D1 calls of one refresh: the tenant, the rotation batch, the user to re-admit. */
const REFRESH_CALLS = 3;
/** Which of them is the rotation: a failure before it (or in it) writes nothing. */
const ROTATION_CALL = 2;
/** The D1 calls of one revocation by refresh token: the tenant, the revocation (the token names its session). */
const REVOKE_CALLS = 2;

const UNAVAILABLE = {
  error: "temporarily_unavailable",
  error_description: "The service is temporarily unavailable: try again in 5 seconds.",
};

async function expectUnavailable(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get("Retry-After")).toBe("5");
  expect(await response.json()).toEqual(UNAVAILABLE);
}

async function expectTokens(response: Response): Promise<TokenResponse> {
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

async function revokedAt(sessionId: string) {
  const row = await eu.db.prepare("SELECT revoked_at FROM sessions WHERE id = ?").bind(sessionId).first<{ revoked_at: number | null }>();
  return row?.revoked_at ?? null;
}

/** Waits until `check` holds: a write that D1 finishes after the request gave up on it. */
async function eventually(check: () => Promise<boolean>, ms = 3_000) {
  for (const until = Date.now() + ms; Date.now() < until; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the late write never landed");
}

/** The session lives, and `tokens` carry it on: the access token is accepted, the refresh token rotates. */
async function expectAlive(name: string, sessionId: string, tokens: TokenResponse) {
  expect(await revokedAt(sessionId)).toBeNull();
  expect((await fetchMe(eu, name, tokens.access_token)).status).toBe(200);
  await expectTokens(await refresh(eu, name, tokens.refresh_token));
}

const calls = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

describe("H: a refresh that fails half-way", () => {
  it(`H a refresh makes ${REFRESH_CALLS} D1 calls: the tenant, one rotation batch, the user`, async () => {
    const { name, tokens } = await signedInUser();
    const { region, state } = faultyRegion({ kind: "nth", n: Number.MAX_SAFE_INTEGER });
    await expectTokens(await refresh(region, name, tokens.refresh_token));
    expect(state.calls).toBe(REFRESH_CALLS);
  });

  it.each(calls(REFRESH_CALLS))(
    "H D1 call %i of a refresh fails: 503 in RFC 6749 §5.2's shape (temporarily_unavailable, the code §4.1.2.1 defines), and the retry with the same token succeeds",
    async (n) => {
      const { name, tokens, sessionId } = await signedInUser();
      const { region, state } = faultyRegion({ kind: "nth", n });
      await expectUnavailable(await refresh(region, name, tokens.refresh_token));
      expect(await isSpent(eu, tokens.refresh_token)).toBe(n > ROTATION_CALL);

      state.faulty = false;
      const retried = await expectTokens(await refresh(region, name, tokens.refresh_token));
      await expectAlive(name, sessionId, retried);
    },
  );

  it.each(calls(REFRESH_CALLS))(
    "S with strict rotation (window 0), D1 call %i fails: the retry succeeds unless the rotation committed, and then it is reuse (RFC 9700 §4.14.2)",
    async (n) => {
      const { name, tokens, sessionId } = await signedInUser(eu, { refreshTokenReuseSeconds: 0 });
      const { region, state } = faultyRegion({ kind: "nth", n });
      await expectUnavailable(await refresh(region, name, tokens.refresh_token));

      state.faulty = false;
      const retry = await refresh(region, name, tokens.refresh_token);
      if (n > ROTATION_CALL) {
        expect(retry.status).toBe(400);
        expect(await retry.json()).toMatchObject({ error: "invalid_grant" });
        expect(await revokedAt(sessionId)).toEqual(expect.any(Number));
      } else {
        await expectAlive(name, sessionId, await expectTokens(retry));
      }
    },
  );

  it("H a rotation that commits after the request gave up on D1 (503) is retried with the same token successfully", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    // The tenant's read takes 400 ms of the 600 ms budget; the rotation batch, sent then, is given up on at
    // 600 ms and lands at 800 ms.
    const { region, state } = faultyRegion({ kind: "slow", ms: 400 }, 600);
    await expectUnavailable(await refresh(region, name, tokens.refresh_token));
    await eventually(() => isSpent(eu, tokens.refresh_token));

    state.faulty = false;
    const retried = await expectTokens(await refresh(region, name, tokens.refresh_token));
    await expectAlive(name, sessionId, retried);
  });

  it("H at 30 % random D1 faults, an app that retries every 503 with the same token keeps every session", async () => {
    const sessions = await Promise.all(Array.from({ length: 5 }, () => signedInUser()));
    const fault: Fault = { kind: "random", rate: 0.3, seed: 6 };
    const { region, state } = faultyRegion(fault);
    const latest = await Promise.all(
      sessions.map(async ({ name, tokens }) => {
        let current = tokens;
        for (let refreshes = 0; refreshes < 8; ) {
          const response = await refresh(region, name, current.refresh_token);
          if (response.status === 503) continue;
          current = await expectTokens(response);
          refreshes += 1;
        }
        return current;
      }),
    );
    expect(state.failed).toBeGreaterThan(0);
    for (const [i, { name, sessionId }] of sessions.entries()) await expectAlive(name, sessionId, latest[i]!);
  });
});

describe("H: a revocation that fails half-way", () => {
  it.each(calls(REVOKE_CALLS))(
    "H D1 call %i of a revocation fails: 503 temporarily_unavailable, and the retry answers 200 and ends the session (RFC 7009 §2.2)",
    async (n) => {
      const { name, tokens, sessionId } = await signedInUser();
      const { region, state } = faultyRegion({ kind: "nth", n });
      await expectUnavailable(await revoke(region, name, tokens.refresh_token));

      state.faulty = false;
      expect((await revoke(region, name, tokens.refresh_token)).status).toBe(200);
      expect(await revokedAt(sessionId)).toEqual(expect.any(Number));
    },
  );

  it("H a revocation retried after one that committed answers 200 (RFC 7009 §2.2)", async () => {
    const { name, tokens, sessionId } = await signedInUser();
    expect((await revoke(eu, name, tokens.refresh_token)).status).toBe(200);
    const first = await revokedAt(sessionId);
    expect((await revoke(eu, name, tokens.refresh_token)).status).toBe(200);
    expect(await revokedAt(sessionId)).toBe(first);
  });
});
