// Rule H for rule M's storage: the waiting second steps (mfa_challenges) and the remembered devices
// (remembered_devices) do not pile up: the daily clean-up deletes those past their end, and keeps live ones.
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { prune } from "../../src/scheduled";
import { adminFixture } from "../support/admin";
import { countOf } from "../support/rows";
import { bearer, PASSWORD, seedUser, tokensFor } from "../support/users";
import { enrolTotp, firstStep, secondStep, totpCode } from "./support";

describe("H the clean-up of second steps and remembered devices", () => {
  it("H expired mfaTokens and remembered devices are deleted by the daily clean-up; live ones stay", async () => {
    const f = await adminFixture();
    const user = await seedUser(f.region, f.tenantId);
    const { secret } = await enrolTotp(f.region, f.tenant, bearer((await tokensFor(f.region, f.tenant, user.username)).access_token));
    const done = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    expect((await secondStep(f.region, f.tenant, { mfaToken: done.mfaToken, code: totpCode(secret, 1), rememberDevice: true })).status).toBe(200);
    await firstStep(f.region, f.tenant, user.username, PASSWORD);
    // Everything of this person so far ends in the past; then one more of each, live.
    const past = Date.now() - 1;
    await f.region.db.prepare("UPDATE mfa_challenges SET expires_at = ? WHERE user_id = ?").bind(past, user.id).run();
    await f.region.db.prepare("UPDATE remembered_devices SET expires_at = ? WHERE user_id = ?").bind(past, user.id).run();
    const live = await firstStep(f.region, f.tenant, user.username, PASSWORD);
    await f.region.db.prepare("UPDATE second_factors SET last_used_step = last_used_step - 3 WHERE user_id = ?").bind(user.id).run();
    expect((await secondStep(f.region, f.tenant, { mfaToken: live.mfaToken, code: totpCode(secret), rememberDevice: true })).status).toBe(200);
    await firstStep(f.region, f.tenant, user.username, PASSWORD);

    await prune(database(f.region.db), new Date());
    expect(await countOf(f.region, "SELECT count(*) AS n FROM mfa_challenges WHERE user_id = ?", user.id)).toBe(2);
    expect(await countOf(f.region, "SELECT count(*) AS n FROM remembered_devices WHERE user_id = ?", user.id)).toBe(1);
  });
});
