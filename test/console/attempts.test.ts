// The console's sign-in attempts (rule L) readable and filterable: outcomes and methods in words for every
// code, the user agent shortened with the whole on hover, filters by outcome and by user (resolved as sign-in
// resolves a login), and a filtered page that reads a bounded window of the tenant's attempts (rule H).
import { describe, expect, it } from "vitest";
import { listAttemptsFiltered } from "../../src/admin/attempt-filters";
import { outcomeText, shortUserAgent } from "../../src/admin/console/attempt-words";
import { database } from "../../src/db/client";
import { errorStatus, type ErrorCode } from "../../src/http/errors";
import { eu } from "../support/regions";
import { openTenant } from "../support/tenants";
import { seedUser, signIn, WRONG_PASSWORD } from "../support/users";
import { attemptRows, Browser, consoleOf, consoleSignIn, page, signedInBrowser } from "./support";

describe("sign-in attempts: words and filters", () => {
  it.each(Object.keys(errorStatus) as ErrorCode[])("L the outcome %s reads as words, not as its code", (code) => {
    expect(outcomeText(code)).not.toBe(code);
    expect(outcomeText(code)).toMatch(/^[A-Z][-a-z]*[: ]/);
  });

  it.each([
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome 126 · Windows"],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge 126 · Windows"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 · iOS"],
    ["Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox 127 · Linux"],
    ["PrintApp/1.0", "PrintApp/1.0"],
    ["curl/8.7.1 with a very long tail of words that goes on", "curl/8.7.1 with a very long…"],
  ])("L the user agent %s is shown as %s", (userAgent, short) => {
    expect(shortUserAgent(userAgent)).toBe(short);
  });

  it("L the page filters by outcome and by user (username or e-mail), and says a refused console sign-in in words", async () => {
    const { name, id } = await openTenant(eu);
    const user = await seedUser(eu, id, { email: "filter.me@example.com" });
    await signIn(eu, name, { login: user.username, password: WRONG_PASSWORD });
    await signIn(eu, name, { login: user.username, password: user.password });
    await signIn(eu, name, { login: "nobody-at-all", password: WRONG_PASSWORD });
    const browser = await signedInBrowser(name);
    // The user tries the console: the right password, refused for want of the admin role.
    await consoleSignIn(new Browser(), name, user.username, user.password);

    const base = `${consoleOf(name)}/sign-in-attempts`;
    const failures = attemptRows((await page(browser, `${base}?outcome=failure`)).html);
    expect(failures.map((row) => [row.Login, row.Outcome, row.Client])).toEqual([
      [user.username, "Refused: not an administrator", "printid-console"],
      ["nobody-at-all", "Wrong login or password", "printid-mobile"],
      [user.username, "Wrong login or password", "printid-mobile"],
    ]);
    const successes = attemptRows((await page(browser, `${base}?outcome=success`)).html);
    expect(successes.every((row) => row.Outcome === "Success")).toBe(true);
    const theirs = attemptRows((await page(browser, `${base}?user=FILTER.ME%40example.com`)).html);
    expect(theirs.map((row) => row.Outcome)).toEqual(["Refused: not an administrator", "Success", "Wrong login or password"]);
    const both = attemptRows((await page(browser, `${base}?user=${user.username}&outcome=success`)).html);
    expect(both.map((row) => [row.Login, row.Outcome])).toEqual([[user.username, "Success"]]);
    expect(attemptRows((await page(browser, `${base}?user=no-such-user`)).html)).toEqual([]);
  });

  it("H a filtered page reads at most a window of attempts, says where to go on, and finds its match further down", async () => {
    const { name, id } = await openTenant(eu);
    const user = await seedUser(eu, id);
    await signIn(eu, name, { login: user.username, password: WRONG_PASSWORD });
    for (let i = 0; i < 12; i++) await signIn(eu, name, { login: `someone-${i}`, password: WRONG_PASSWORD });
    const db = database(eu.db);
    const filter = { user: { id: user.id }, limit: 5, window: 5 };
    const first = await listAttemptsFiltered(db, id, filter);
    expect(first.items).toEqual([]);
    expect(first.resumeBefore).not.toBeNull();
    const second = await listAttemptsFiltered(db, id, { ...filter, before: first.resumeBefore! });
    expect(second.items).toEqual([]);
    const third = await listAttemptsFiltered(db, id, { ...filter, before: second.resumeBefore! });
    expect(third.items.map((attempt) => attempt.login)).toEqual([user.username]);
    expect(third.resumeBefore).toBeNull();
  });
});
