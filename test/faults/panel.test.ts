// Rule H at a printer's panel (issue 15): with D1 failing at any one of a panel sign-in's calls, the
// answer is 503 unavailable (never 500), nothing is half-written (a session comes with its attempt or
// not at all), and the failed try does not count against the device: the same PIN works at once after.
import { describe, expect, it } from "vitest";
import { faultyRegion } from "../support/faults";
import { panelFixture, panelSignIn, personWithPin } from "../panel/support";

/** The D1 calls of a PIN sign-in: the tenant, the device, its try, the PIN, the user, the session's batch, and room to spare. */
const CALLS = 8;

describe("H: the panel sign-in over a failing database", () => {
  it("H D1 failing at any one call of a PIN sign-in answers 503 or signs in; no session without its attempt; the device is not charged", async () => {
    const f = await panelFixture();
    const { user, pin } = await personWithPin(f);
    const statuses: number[] = [];
    for (let n = 1; n <= CALLS; n++) {
      const { region } = faultyRegion({ kind: "nth", n });
      const response = await panelSignIn({ ...f, region }, { pin });
      expect([200, 503], `D1 call ${n} failing: ${await response.clone().text()}`).toContain(response.status);
      statuses.push(response.status);
    }
    // Most of the calls failed the sign-in (the last ones are past its end).
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThanOrEqual(5);
    const count = (sql: string) => f.region.db.prepare(sql).bind(user.id).first<number>("n");
    const sessions = await count("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND method = 'pin'");
    const successes = await count("SELECT count(*) AS n FROM sign_in_attempts WHERE user_id = ? AND method = 'pin' AND success = 1");
    expect(sessions).toBe(successes);
    expect(await f.region.db.prepare("SELECT failed_sign_ins FROM device_clients WHERE id = ?").bind(f.panel.id).first("failed_sign_ins")).toBe(0);
    expect((await panelSignIn(f, { pin })).status).toBe(200);
  });
});
