// Rule H, rate limits: every unauthenticated path that costs work answers `429 rate_limited` with
// Retry-After once one client address has used up its allowance for a tenant (RFC 6749's shape on
// /token), without touching other addresses or other tenants; unknown tenant names are limited too, and
// a burst for one unknown name asks the global directory once. Closes: password spraying and flow-table
// filling at full speed, and every typo reaching the single global Durable Object.
import { describe, expect, it } from "vitest";
import { problemOf } from "../support/problems";
import { eu, us } from "../support/regions";
import { createTenant, json } from "../support/tenants";
import { CLIENT_ID } from "../support/users";

const from = (ip: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as object), "CF-Connecting-IP": ip } });
const ipOf = () => `203.0.113.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 4)}`;

/**
 * Sends until the first 429, at most 2 × limit + 1 times: the limiter counts in fixed 60 s windows, so a
 * burst that straddles two of them may pass the limit once, but never twice. Returns every answer.
 */
async function untilLimited(limit: number, send: () => Promise<Response>): Promise<Response[]> {
  const answers: Response[] = [];
  while (answers.length < 2 * limit + 1) {
    const response = await send();
    answers.push(response);
    if (response.status === 429) break;
  }
  expect(answers.at(-1)?.status).toBe(429);
  expect(answers.length).toBeGreaterThan(limit);
  return answers;
}

describe("H: rate limits per client address and tenant", () => {
  it("H sign-in: past 60 requests a minute from one address, 429 rate_limited with Retry-After, before any password is checked", async () => {
    const { name } = await createTenant(eu);
    const ip = ipOf();
    // Each a login of its own, so that no lockout (rule L) answers before the rate limit does.
    const signIn = (address: string, tenant = name) =>
      eu.fetch(`/t/${tenant}/sign-in`, from(address, json({ login: `nobody-${crypto.randomUUID()}`, password: "whatever it is", clientId: CLIENT_ID })));
    const answers = await untilLimited(60, () => signIn(ip));
    expect(answers.slice(0, -1).every((r) => r.status === 401)).toBe(true);
    const limited = await problemOf(answers.at(-1)!, 429, "rate_limited");
    expect(answers.at(-1)!.headers.get("Retry-After")).toBe("60");
    expect(limited.detail).toBe("Too many requests from your network: try again in 60 seconds.");
    // Another address, and the same address at another tenant, are not held back.
    expect((await signIn(ipOf())).status).toBe(401);
    const other = await createTenant(eu);
    expect((await signIn(ip, other.name)).status).toBe(401);
  });

  it("H /token: over the limit the answer is RFC 6749-shaped, 429 with Retry-After", async () => {
    const { name } = await createTenant(eu);
    const ip = ipOf();
    const answers = await untilLimited(120, () =>
      eu.fetch(
        `/t/${name}/token`,
        from(ip, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: `grant_type=refresh_token&refresh_token=x&client_id=${CLIENT_ID}` }),
      ),
    );
    expect(answers.slice(0, -1).every((r) => r.status === 400)).toBe(true);
    const last = answers.at(-1)!;
    expect(last.status).toBe(429);
    expect(last.headers.get("Retry-After")).toBe("60");
    expect(await last.json()).toEqual({ error: "rate_limited", error_description: "Too many requests from your network: try again in 60 seconds." });
  });

  it("H provider authorize: over the limit no flow is stored", async () => {
    const { name, body } = await createTenant(eu);
    const ip = ipOf();
    const query = new URLSearchParams({
      account: "work",
      client_id: CLIENT_ID,
      redirect_uri: "com.printid.app:/oauth/callback",
      state: "s",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    });
    const answers = await untilLimited(120, () => eu.fetch(`/t/${name}/oauth/google/authorize?${query}`, from(ip, { redirect: "manual" })));
    const redirected = answers.filter((r) => r.status === 302).length;
    expect(redirected).toBe(answers.length - 1);
    // Only the redirected requests stored a flow; the refused one stored nothing.
    const flows = await eu.db.prepare("SELECT count(*) AS n FROM oauth_flows WHERE tenant_id = ?").bind(body.id).first<{ n: number }>();
    expect(flows?.n).toBe(redirected);
  });

  it("H unknown tenant names: past 60 a minute from one address, 429 rate_limited", async () => {
    const ip = ipOf();
    const answers = await untilLimited(60, () => eu.fetch(`/t/no-such-${crypto.randomUUID().slice(0, 8)}`, from(ip)));
    expect(answers.slice(0, -1).every((r) => r.status === 404)).toBe(true);
    await problemOf(answers.at(-1)!, 429, "rate_limited");
    // A known tenant answers as ever.
    const { name } = await createTenant(eu);
    expect((await eu.fetch(`/t/${name}`, from(ip))).status).toBe(200);
  });

  it("H a burst for one unknown name asks the directory once: its answer is remembered for a few seconds", async () => {
    const name = `later-${crypto.randomUUID().slice(0, 8)}`;
    const first = await problemOf(await eu.fetch(`/t/${name}`, from(ipOf())), 404, "tenant_not_found");
    expect(first.region).toBeUndefined();
    // The name is then created in us: eu's remembered answer (no home) still stands for a moment,
    // which shows that the directory was not asked again.
    await createTenant(us, name);
    const again = await problemOf(await eu.fetch(`/t/${name}`, from(ipOf())), 404, "tenant_not_found");
    expect(again.region).toBeUndefined();
  });
});

describe("H: every limited route answers 429 past its limit", () => {
  const form = (body: string): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
  it.each<[string, number, (tenant: string) => [string, RequestInit]]>([
    ["POST /register", 60, (t) => [`/t/${t}/register`, json({ email: "not an address", password: "x", clientId: CLIENT_ID })]],
    ["POST /me/password", 60, (t) => [`/t/${t}/me/password`, json({ currentPassword: "a", newPassword: "b" })]],
    ["POST /oauth/google/id-token", 60, (t) => [`/t/${t}/oauth/google/id-token`, json({ idToken: "x", account: "work", clientId: CLIENT_ID })]],
    ["GET /oauth/google/callback", 120, () => ["/oauth/google/callback?state=unknown&code=x", {}]],
    ["POST /oauth/apple/callback", 120, () => ["/oauth/apple/callback", form("state=unknown&code=x")]],
  ])("H %s: 429 rate_limited with Retry-After once one address has used up its %i a minute", async (_route, limit, request) => {
    const { name } = await createTenant(eu);
    const ip = ipOf();
    const [path, init] = request(name);
    const answers = await untilLimited(limit, () => eu.fetch(path, from(ip, { ...init, redirect: "manual" })));
    expect(answers.slice(0, -1).some((r) => r.status === 429)).toBe(false);
    expect(answers.at(-1)!.headers.get("Retry-After")).toBe("60");
  });
});
